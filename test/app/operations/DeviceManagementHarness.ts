/**
 * The device-management stack as the service builds it, on a real SQLite store in a temp dir and a
 * real UDP endpoint on loopback, with short CoAP timeouts and an injected clock, plus the projector
 * and the application API, for the integration tests of `src/app/operations/`.
 */
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import type { Clock } from '../../../src/domain/Clock.ts';
import type { OperationQueuePolicy } from '../../../src/domain/operations/OperationQueueDecider.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import type { DatagramCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { RegistrationService } from '../../../src/app/registration/RegistrationService.ts';
import { EventStoreDeviceDirectory } from '../../../src/app/devices/DeviceDirectory.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import type { EventStore, RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { CoapRouter } from '../../../src/adapters/coap/CoapRouter.ts';
import { startDeviceManagement } from '../../../src/app/operations/DeviceManagement.ts';
import type { DeviceManagement } from '../../../src/app/operations/DeviceManagement.ts';
import { DeviceManagementApi } from '../../../src/app/operations/DeviceManagementApi.ts';
import { Projector } from '../../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../../../src/projections/ReadModels.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import { join } from 'node:path';

export interface Harness {
  readonly store: EventStore;
  /** The stack's one reader of the log for live state, as main.ts has one. */
  readonly feed: LogFeed;
  readonly coap: DatagramCoapEndpoint;
  readonly registrations: RegistrationService;
  readonly management: DeviceManagement;
  readonly api: DeviceManagementApi;
  readonly projector: Projector;
  events(stream: string): Promise<readonly RecordedEvent[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly clock: Clock;
  readonly policy?: OperationQueuePolicy;
  readonly awakeSeconds?: number;
  /** The CoAP port; ephemeral when absent (a restarted service keeps its port, so a restart test reuses it). */
  readonly coapPort?: number;
}

export async function startHarness(dir: string, options: HarnessOptions): Promise<Harness> {
  const logger = silentLogger();
  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  const database = ReadModelDatabase.open(dir);
  const feed = new LogFeed({ store });
  const projector = new Projector({ store, feed, database, projections: readModelProjections, logger });
  projector.start();
  const registrations = await RegistrationService.start({ store, feed, directory: new EventStoreDeviceDirectory(store), clock: options.clock, logger, expirySweepMs: 0 });
  // Short CoAP timeouts: an unanswered request times out in about half a second.
  const coap = await openUdpCoapEndpoint({ host: '127.0.0.1', port: options.coapPort ?? 0, logger, parameters: { ackTimeoutMs: 100, maxRetransmit: 1, responseTimeoutMs: 400 } });
  const uplink = new CoapRouter(registrations.handler('plain'));
  const management = await startDeviceManagement({
    store,
    runner: new AggregateCommandRunner({ store }),
    feed,
    endpoint: coap,
    registrations,
    catalog: coreObjectCatalog(),
    clock: options.clock,
    logger,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.awakeSeconds === undefined ? {} : { awakeSeconds: options.awakeSeconds }),
  });
  uplink.route('dp', management.send);
  coap.handleUnsolicited(management.observations.onUnsolicited);
  coap.handle(uplink.handle);
  const api = DeviceManagementApi.over(management, database.db, projector);
  return {
    store,
    feed,
    coap,
    registrations,
    management,
    api,
    projector,
    async events(stream) {
      const result = await store.readStream(stream);
      return result.status === 'found' ? result.events : [];
    },
    async close() {
      await management.close();
      await coap.close();
      await registrations.close();
      await projector.close();
      database.close();
      await feed.close();
      await store.close();
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 3_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
