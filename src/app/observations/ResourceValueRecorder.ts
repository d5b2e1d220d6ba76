/**
 * Records the values a device reported (Read responses, notifications, Send): one
 * `ResourceValuesReported` event per message on `resources-<endpoint>`, then the telemetry mapping
 * (measurements, events, alarms) through the telemetry service. A device's messages are recorded in
 * the order they arrived. A failure of the telemetry mapping is logged: the values are stored already.
 *
 * Group commit: every message is its own event and its own append, and the event store commits
 * whatever appends are queued while it writes the previous batch as one transaction (one fsync); the
 * projector likewise commits what arrives within a few milliseconds as one read-model transaction.
 * A caller that must act once the values are durable (the acknowledgement of a confirmable
 * notification) is told through `onStored`, after the append and before the telemetry mapping.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { PathValue } from '../../domain/lwm2m/LwM2mValue.ts';
import { formatPath } from '../../domain/lwm2m/LwM2mPath.ts';
import { lwm2mValueToJson } from '../../domain/lwm2m/LwM2mValueJson.ts';
import type { ResourceValueSource, ResourceValuesReported } from '../../domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../../domain/observations/ResourceValueEvents.ts';
import type { RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { ReceivedValuesRequest } from '../telemetry/TelemetryService.ts';

/** The part of the telemetry service that maps received values (helper 9's `TelemetryService`). */
export interface TelemetrySink {
  recordValues(request: ReceivedValuesRequest): Promise<unknown>;
}

export interface ReportedMessage {
  readonly endpoint: string;
  readonly source: ResourceValueSource;
  readonly values: readonly PathValue[];
  readonly operationId: string | null;
  readonly observationToken: string | null;
  /** The registration, for the object versions the telemetry mapping needs. */
  readonly registration: RegistrationRecord | undefined;
}

export interface ResourceValueRecorderOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly telemetry?: TelemetrySink;
}

export interface RecordOptions {
  /** Called once the message's event is durable in the log, before the telemetry mapping; not called when the append fails. */
  readonly onStored?: () => void;
}

interface Waiting {
  readonly message: ReportedMessage;
  readonly receivedAt: Date;
  readonly onStored: (() => void) | undefined;
  readonly resolve: (position: number) => void;
  readonly reject: (error: unknown) => void;
}

export class ResourceValueRecorder {
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #telemetry: TelemetrySink | undefined;
  /** Per device, the messages waiting while an earlier batch of the device is being stored. */
  readonly #waiting = new Map<string, Waiting[]>();

  constructor(options: ResourceValueRecorderOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#telemetry = options.telemetry;
  }

  /**
   * Stores the values; resolves with the global position of the append that stored them (undefined when there were none).
   * A device's messages are stored in arrival order; those that arrive while the device's previous
   * batch is being stored go together in the next one: one append of their events and one telemetry
   * call (whose protocol lookups are then made once per batch, not once per message).
   */
  record(message: ReportedMessage, options: RecordOptions = {}): Promise<number | undefined> {
    if (message.values.length === 0) {
      options.onStored?.();
      return Promise.resolve(undefined);
    }
    return new Promise<number>((resolve, reject) => {
      const waiting = this.#waiting.get(message.endpoint);
      const entry: Waiting = { message, receivedAt: this.#clock.now(), onStored: options.onStored, resolve, reject };
      if (waiting) {
        waiting.push(entry);
        return;
      }
      this.#waiting.set(message.endpoint, []);
      void this.#drain(message.endpoint, [entry]);
    });
  }

  async #drain(endpoint: string, first: Waiting[]): Promise<void> {
    let batch = first;
    while (batch.length > 0) {
      try {
        const position = await this.#storeBatch(endpoint, batch);
        for (const entry of batch) entry.resolve(position);
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
      batch = this.#waiting.get(endpoint) ?? [];
      this.#waiting.set(endpoint, []);
    }
    this.#waiting.delete(endpoint);
  }

  async #storeBatch(endpoint: string, batch: readonly Waiting[]): Promise<number> {
    const events = batch.map(({ message, receivedAt }) => {
      const data: ResourceValuesReported = {
        endpoint,
        source: message.source,
        operationId: message.operationId,
        observationToken: message.observationToken,
        values: message.values.map((entry) => ({
          path: formatPath(entry.path),
          value: lwm2mValueToJson(entry.value),
          time: entry.time === undefined ? null : new Date(entry.time * 1000).toISOString(),
        })),
        receivedAt: receivedAt.toISOString(),
      };
      return { type: 'ResourceValuesReported', data: data as unknown as JsonValue, metadata: { actor: `device:${endpoint}`, schemaVersion: 1 } };
    });
    // A log of what the device said, not a state anything is decided on: no expected revision.
    const appended = await this.#store.appendToStream(resourceStream(endpoint), events, 'any');
    for (const entry of batch) entry.onStored?.();
    await this.#mapTelemetry(endpoint, batch);
    return appended.position;
  }

  async #mapTelemetry(endpoint: string, batch: readonly Waiting[]): Promise<void> {
    const last = batch[batch.length - 1];
    if (!this.#telemetry || !last) return;
    const objectVersions = new Map<number, string | null>();
    for (const link of last.message.registration?.objectLinks.objects ?? []) if (link.instanceId === null || !objectVersions.has(link.objectId)) objectVersions.set(link.objectId, link.version);
    // Each value keeps its own time: the device's, else when its message arrived.
    const values = batch.flatMap(({ message, receivedAt }) => message.values.map((entry) => (entry.time === undefined && batch.length > 1 ? { ...entry, time: receivedAt.getTime() / 1000 } : entry)));
    const operationIds = new Set(batch.map(({ message }) => message.operationId));
    const [operationId] = operationIds;
    try {
      await this.#telemetry.recordValues({
        endpoint,
        values,
        objectVersions,
        receivedAt: last.receivedAt,
        ...(operationIds.size === 1 && operationId !== null && operationId !== undefined ? { correlationId: operationId } : {}),
      });
    } catch (error) {
      this.#logger.error({ err: error, endpoint }, 'telemetry mapping of reported values failed');
    }
  }
}
