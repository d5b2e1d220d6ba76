/**
 * The service's metrics, from what it already has rather than from counters threaded through every
 * part: what devices did is counted from the event log as it grows (registrations, values reported,
 * operations and their outcomes), and states are read at each scrape (devices, registrations, pending
 * operations, read model lag, DTLS sessions, CoAP traffic totals). DTLS handshakes are counted from
 * the DTLS servers' events. Counters count from this process's start, as Prometheus expects.
 */
import type { EventStore, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import type { Clock } from '../../domain/Clock.ts';
import type { OperationEvent, OperationKind } from '../../domain/operations/OperationEvents.ts';
import { operationStreamPrefix } from '../../domain/operations/OperationEvents.ts';
import type { ResourceValueEvent } from '../../domain/observations/ResourceValueEvents.ts';
import { resourceStreamPrefix } from '../../domain/observations/ResourceValueEvents.ts';
import type { RegistrationEvent } from '../../domain/registration/RegistrationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceQueries } from '../../projections/devices/DeviceQueries.ts';
import type { OperationQueries } from '../../projections/operations/OperationQueries.ts';
import type { Projector } from '../../projections/Projector.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { FeedMember, LogFeed } from '../kernel/LogFeed.ts';
import type { Metrics, MetricSample } from '../../adapters/metrics/Metrics.ts';

/** What the metrics need of a DTLS server: its sessions now, and each handshake as it ends. */
export interface HandshakeCounting {
  sessionCount(): number;
  on(event: 'sessionEstablished' | 'handshakeFailed', listener: () => void): unknown;
  off(event: 'sessionEstablished' | 'handshakeFailed', listener: () => void): unknown;
}

export interface ServiceMetricsSources {
  /** Where the log's head is read: what devices did is counted from there on. */
  readonly store: Pick<EventStore, 'headPosition'>;
  /** The process's one reader of the log, which the counting joins. */
  readonly feed: Pick<LogFeed, 'join' | 'leave'>;
  readonly projector: Pick<Projector, 'status'>;
  readonly devices: Pick<DeviceQueries, 'page'>;
  readonly operations: Pick<OperationQueries, 'operation' | 'unansweredCount'>;
  /** The devices registered now (LwM2M Register, not yet de-registered or expired). */
  readonly registeredDevices: () => number;
  /** Each CoAP endpoint by the server it belongs to (`lwm2m`, `lwm2m-dtls`, `bootstrap`, `bootstrap-dtls`). */
  readonly coapEndpoints: ReadonlyArray<{ readonly server: string; traffic(): { readonly retransmissions: number; readonly droppedDatagrams: number } }>;
  /** Each DTLS server by the server it belongs to (`lwm2m`, `bootstrap`). */
  readonly dtlsServers: ReadonlyArray<{ readonly server: string; readonly dtls: HandshakeCounting }>;
  /** Each CoAP-over-TCP or TLS endpoint (RFC 8323) by the server it belongs to (`lwm2m-tcp`, `lwm2m-tls`, ...), and its open connections. */
  readonly streamEndpoints?: ReadonlyArray<{ readonly server: string; readonly connections: () => number }>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface RunningServiceMetrics {
  close(): Promise<void>;
}

export async function startServiceMetrics(metrics: Metrics, sources: ServiceMetricsSources): Promise<RunningServiceMetrics> {
  registerStateGauges(metrics, sources);
  const stopHandshakes = countHandshakes(metrics, sources.dtlsServers);
  const stopLog = await countLogEvents(metrics, sources);
  return {
    async close() {
      stopHandshakes();
      await stopLog();
    },
  };
}

function registerStateGauges(metrics: Metrics, sources: ServiceMetricsSources): void {
  metrics.gauge<'status'>({ name: 'lwm2m_hub_devices', help: 'Devices imported from the registration CSV, by status (active, decommissioned)', labelNames: ['status'] }, () =>
    (['active', 'decommissioned'] as const).map((status) => ({ labels: { status }, value: sources.devices.page({ status }, 0, undefined).totalCount })),
  );
  metrics.gauge({ name: 'lwm2m_hub_devices_online', help: 'Devices registered now (LwM2M Register, not de-registered nor expired)' }, () => [{ value: sources.registeredDevices() }]);
  metrics.gauge({ name: 'lwm2m_hub_operations_pending', help: 'Operations waiting for an answer: queued, or sent and not answered yet' }, () => [{ value: sources.operations.unansweredCount() }]);
  metrics.gauge<'read_model'>(
    { name: 'lwm2m_hub_projection_lag_events', help: 'Events in the log after the last one a read model applied, while it has some still to apply', labelNames: ['read_model'] },
    async () => {
      const status = await sources.projector.status();
      return status.projections.map((projection) => ({ labels: { read_model: projection.name }, value: projection.caughtUp ? 0 : status.head - projection.checkpoint }));
    },
  );
  metrics.gauge<'read_model'>(
    { name: 'lwm2m_hub_projection_lag_seconds', help: 'Age of the oldest event a read model has still to apply (0 when caught up)', labelNames: ['read_model'] },
    async () => {
      const now = sources.clock.now().getTime();
      const status = await sources.projector.status();
      return status.projections.map((projection) => ({
        labels: { read_model: projection.name },
        value: projection.oldestUnappliedAt === null ? 0 : Math.max(0, (now - projection.oldestUnappliedAt.getTime()) / 1000),
      }));
    },
  );
  metrics.gauge<'server'>({ name: 'lwm2m_hub_dtls_sessions', help: 'DTLS sessions established now, by server', labelNames: ['server'] }, () =>
    sources.dtlsServers.map(({ server, dtls }) => ({ labels: { server }, value: dtls.sessionCount() })),
  );
  metrics.gauge<'server'>({ name: 'lwm2m_hub_coap_connections', help: 'CoAP over TCP and TLS connections open now (RFC 8323), by server', labelNames: ['server'] }, () =>
    (sources.streamEndpoints ?? []).map(({ server, connections }) => ({ labels: { server }, value: connections() })),
  );
  const traffic = (pick: (totals: { readonly retransmissions: number; readonly droppedDatagrams: number }) => number): MetricSample<'server'>[] =>
    sources.coapEndpoints.map((endpoint) => ({ labels: { server: endpoint.server }, value: pick(endpoint.traffic()) }));
  metrics.observedCounter<'server'>(
    { name: 'lwm2m_hub_coap_retransmissions_total', help: 'Confirmable CoAP messages sent again for want of an ACK (RFC 7252 section 4.2), by server', labelNames: ['server'] },
    () => traffic((totals) => totals.retransmissions),
  );
  metrics.observedCounter<'server'>(
    { name: 'lwm2m_hub_coap_datagrams_dropped_total', help: 'CoAP datagrams dropped: malformed, unmatched ACK or RST, or failed in handling, by server', labelNames: ['server'] },
    () => traffic((totals) => totals.droppedDatagrams),
  );
}

function countHandshakes(metrics: Metrics, servers: ServiceMetricsSources['dtlsServers']): () => void {
  const handshakes = metrics.counter<'server' | 'outcome'>({
    name: 'lwm2m_hub_dtls_handshakes_total',
    help: 'DTLS handshakes by server and outcome (established, failed)',
    labelNames: ['server', 'outcome'],
  });
  const stops = servers.map(({ server, dtls }) => {
    const established = (): void => handshakes.inc({ server, outcome: 'established' });
    const failed = (): void => handshakes.inc({ server, outcome: 'failed' });
    dtls.on('sessionEstablished', established);
    dtls.on('handshakeFailed', failed);
    return () => {
      dtls.off('sessionEstablished', established);
      dtls.off('handshakeFailed', failed);
    };
  });
  return () => stops.forEach((stop) => stop());
}

/** Counts what devices did from the log, from its head at start on; resolves with the function that stops. */
async function countLogEvents(metrics: Metrics, sources: ServiceMetricsSources): Promise<() => Promise<void>> {
  const registrationEvents = metrics.counter<'event'>({
    name: 'lwm2m_hub_registration_events_total',
    help: 'LwM2M registration interface events recorded (register, update, deregister, expiry)',
    labelNames: ['event'],
  });
  const rejections = metrics.counter<'reason'>({
    name: 'lwm2m_hub_registration_rejections_total',
    help: 'Registrations refused, by reason, as recorded (at most one per endpoint and minute is recorded)',
    labelNames: ['reason'],
  });
  const reports = metrics.counter<'source'>({ name: 'lwm2m_hub_value_reports_total', help: 'Messages of resource values received, by source (notification, send, read)', labelNames: ['source'] });
  const values = metrics.counter<'source'>({ name: 'lwm2m_hub_reported_values_total', help: 'Resource values received, by source (notification, send, read)', labelNames: ['source'] });
  const requested = metrics.counter<'kind'>({ name: 'lwm2m_hub_operations_requested_total', help: 'Operations queued for devices, by kind', labelNames: ['kind'] });
  const completed = metrics.counter<'kind' | 'outcome'>({
    name: 'lwm2m_hub_operations_total',
    help: 'Operations ended, by kind and outcome (succeeded, failed, cancelled)',
    labelNames: ['kind', 'outcome'],
  });
  const registrationEventNames = {
    DeviceRegistered: 'register',
    RegistrationUpdated: 'update',
    DeviceDeregistered: 'deregister',
    RegistrationExpired: 'expiry',
  } as const;
  const outcomes = { OperationSucceeded: 'succeeded', OperationFailed: 'failed', OperationCancelled: 'cancelled' } as const;
  // The kind of each operation requested since start and not ended yet; an older one's is looked up in the read model.
  const kinds = new Map<string, OperationKind>();

  const count = (recorded: RecordedEvent): void => {
    const event = toDomainEvent<RegistrationEvent | ResourceValueEvent | OperationEvent>(recorded);
    switch (event.type) {
      case 'DeviceRegistered':
      case 'RegistrationUpdated':
      case 'DeviceDeregistered':
      case 'RegistrationExpired':
        registrationEvents.inc({ event: registrationEventNames[event.type] });
        return;
      case 'RegistrationRejected':
        rejections.inc({ reason: event.data.reason });
        return;
      case 'ResourceValuesReported':
        reports.inc({ source: event.data.source });
        values.inc({ source: event.data.source }, event.data.values.length);
        return;
      case 'OperationRequested':
        kinds.set(event.data.operationId, event.data.operation.kind);
        requested.inc({ kind: event.data.operation.kind });
        return;
      case 'OperationSucceeded':
      case 'OperationFailed':
      case 'OperationCancelled': {
        const { operationId } = event.data;
        const kind = kinds.get(operationId) ?? sources.operations.operation(operationId)?.kind ?? 'unknown';
        kinds.delete(operationId);
        completed.inc({ kind, outcome: outcomes[event.type] });
        return;
      }
      case 'OperationSent':
      case 'OperationDeliveryTimedOut':
      case 'OperationReturnedToQueue':
        // Steps of an operation under way: its end is what is counted.
        return;
    }
  };

  const member: FeedMember = {
    filter: { streamPrefixes: [registrationStreamPrefix, resourceStreamPrefix, operationStreamPrefix] },
    deliver(events) {
      for (const event of events) count(event);
    },
    stopped(error) {
      sources.logger.error({ err: error }, 'counting log events for metrics stopped');
    },
  };
  await sources.feed.join(member, await sources.store.headPosition());
  return () => {
    sources.feed.leave(member);
    return Promise.resolve();
  };
}
