/**
 * The device-management stack as in DeviceManagementHarness (real SQLite store in a temp dir, real
 * UDP endpoint on loopback), plus the firmware repository, the package resource
 * `/fw/<id>` on the same CoAP endpoint (plain only: no DTLS identity), the firmware update runner and
 * the firmware service, and the package route on a real HTTP server for devices that pull over HTTP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import type { DatagramCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { RegistrationService } from '../../../src/app/registration/RegistrationService.ts';
import { EventStoreDeviceDirectory } from '../../../src/app/devices/DeviceDirectory.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { ManualTimers } from '../../support/ManualTimers.ts';
import type { EventStore, RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { CoapRouter } from '../../../src/adapters/coap/CoapRouter.ts';
import { startDeviceManagement } from '../../../src/app/operations/DeviceManagement.ts';
import type { DeviceManagement } from '../../../src/app/operations/DeviceManagement.ts';
import { DeviceManagementApi } from '../../../src/app/operations/DeviceManagementApi.ts';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { FirmwareRepository } from '../../../src/app/firmware/FirmwareRepository.ts';
import { FirmwarePackageAccess } from '../../../src/app/firmware/FirmwarePackageAccess.ts';
import { firmwarePackageCoapHandler, firmwarePackagePathSegment, firmwarePackageUri } from '../../../src/adapters/firmware/FirmwarePackageCoapResource.ts';
import { firmwarePackageHttpRoute, firmwarePackageHttpUri } from '../../../src/adapters/firmware/FirmwarePackageHttpRoute.ts';
import { FirmwareUpdateRunner } from '../../../src/app/firmware/FirmwareUpdateRunner.ts';
import { FirmwareService } from '../../../src/app/firmware/FirmwareService.ts';
import { ReadYourWrites } from '../../../src/app/kernel/ReadYourWrites.ts';
import { FirmwareQueries } from '../../../src/projections/firmware/FirmwareQueries.ts';
import { Projector } from '../../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../../../src/projections/ReadModels.ts';
import type { DatabaseSync } from 'node:sqlite';
import type { SecretSealer } from '../../../src/domain/SealedSecret.ts';
import type { RegistrationLookup } from '../../../src/app/registration/RegistrationLookup.ts';

/** What the firmware update process runs on: a device-management stack and its read models. */
export interface FirmwareStack {
  readonly store: EventStore;
  readonly api: DeviceManagementApi;
  readonly registrations: RegistrationLookup;
  readonly projector: Projector;
  /** The read models' database. */
  readonly db: DatabaseSync;
  /** Where the repository keeps packages. */
  readonly dataDir: string;
  readonly sealer: SecretSealer;
}

/**
 * The firmware update runner and the firmware service on a stack, as main.ts builds them but offering
 * no package URI: for the tests of what runs `fwupdate` or the API (the shell, GraphQL), not of delivery.
 */
export function firmwareOn(stack: FirmwareStack, timeoutMs = 30_000): { readonly runner: FirmwareUpdateRunner; readonly service: FirmwareService } {
  const { store, sealer } = stack;
  const repository = new FirmwareRepository({ store, dataDir: stack.dataDir, clock: systemClock, newId: randomUUID });
  const runner = new FirmwareUpdateRunner({
    store,
    api: stack.api,
    repository,
    clock: systemClock,
    logger: silentLogger(),
    newId: randomUUID,
    packageUris: () => [],
    timeoutMs,
    registrations: stack.registrations,
    sealer,
    newAccessToken: () => randomBytes(32),
  });
  const readYourWrites = new ReadYourWrites({ readModels: stack.projector, log: store });
  return { runner, service: new FirmwareService({ repository, runner, queries: new FirmwareQueries(stack.db), projector: stack.projector, readYourWrites }) };
}

export interface FirmwareHarness {
  readonly store: EventStore;
  /** The stack's one reader of the log, which tests wait on for the events they expect. */
  readonly feed: LogFeed;
  readonly projector: Projector;
  /**
   * The time of the whole stack (its clock, the CoAP endpoint's retransmissions and time-outs, the
   * update deadlines): it moves only when the test advances it, so a loaded machine cannot time
   * anything out.
   */
  readonly timers: ManualTimers;
  readonly coap: DatagramCoapEndpoint;
  /** The stack's registrations (they name no node: a node alone holds them all). */
  readonly registrations: RegistrationService;
  readonly api: DeviceManagementApi;
  readonly repository: FirmwareRepository;
  readonly access: FirmwarePackageAccess;
  /** The base of the package route's HTTP server (`http://127.0.0.1:<port>`). */
  readonly httpBase: string;
  readonly runner: FirmwareUpdateRunner;
  /** The application service on the first runner and the read model. */
  readonly service: FirmwareService;
  /**
   * Another runner on the same stack, as a restarted service builds it; given `registrations`, as a
   * node among several builds it (driving only the updates of the devices that lookup says it holds).
   */
  newRunner(registrations?: Pick<RegistrationLookup, 'nodeId' | 'registration'>): FirmwareUpdateRunner;
  events(stream: string): Promise<readonly RecordedEvent[]>;
  close(): Promise<void>;
}

export async function startFirmwareHarness(dir: string, options: { readonly timeoutMs?: number } = {}): Promise<FirmwareHarness> {
  const logger = silentLogger();
  const timers = new ManualTimers();
  const clock = timers.wallClock();
  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  const database = ReadModelDatabase.open(dir);
  const feed = new LogFeed({ store });
  const projector = new Projector({ store, feed, database, projections: readModelProjections, logger });
  projector.start();
  const commands = new AggregateCommandRunner({ store });
  const repository = new FirmwareRepository({ store, dataDir: dir, clock, newId: randomUUID, runner: commands });
  const registrations = await RegistrationService.start({ store, feed, directory: new EventStoreDeviceDirectory(store), clock, logger, expirySweepMs: 0 });
  const sealer = new AesGcmSecretSealer(randomBytes(32));
  const access = await FirmwarePackageAccess.following(feed, registrations, sealer);
  const coap = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger, timers });
  const uplink = new CoapRouter(registrations.handler('plain')).route(firmwarePackagePathSegment, firmwarePackageCoapHandler({ repository, access, pskIdentityOf: () => null }));
  const management: DeviceManagement = await startDeviceManagement({
    store,
    runner: commands,
    feed,
    endpoint: coap,
    registrations,
    catalog: coreObjectCatalog(),
    clock,
    logger,
    contentSources: { packages: repository, sealer },
  });
  uplink.route('dp', management.send);
  coap.handleUnsolicited(management.observations.onUnsolicited);
  coap.handle(uplink.handle);
  const api = DeviceManagementApi.over(management, database.db, projector);
  const route = firmwarePackageHttpRoute(repository, access);
  const http: Server = createServer((request, response) => {
    route(request, response, new URL(request.url ?? '/', 'http://127.0.0.1'))
      .then((answered) => {
        if (!answered) response.writeHead(404).end();
      })
      .catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const httpBase = `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}`;
  const base = `coap://127.0.0.1:${coap.local.port}`;
  // As the service offers them: CoAP first, then HTTP (a device that pulls only over HTTP takes that).
  const packageUris = (firmwareId: string): string[] => [firmwarePackageUri(base, firmwareId), firmwarePackageHttpUri(httpBase, firmwareId)];
  const runners: FirmwareUpdateRunner[] = [];
  const newRunner = (registrations?: Pick<RegistrationLookup, 'nodeId' | 'registration'>): FirmwareUpdateRunner => {
    const runner = new FirmwareUpdateRunner({
      ...(registrations === undefined ? {} : { registrations }),
      store,
      api,
      repository,
      clock,
      logger,
      newId: randomUUID,
      packageUris,
      timeoutMs: options.timeoutMs ?? 10_000,
      timers,
      sealer,
      newAccessToken: () => randomBytes(32),
      runner: commands,
      feed,
    });
    runners.push(runner);
    return runner;
  };
  const runner = newRunner();
  const service = new FirmwareService({ repository, runner, queries: new FirmwareQueries(database.db), projector, readYourWrites: new ReadYourWrites({ readModels: projector, log: store }) });
  return {
    store,
    feed,
    projector,
    timers,
    coap,
    registrations,
    api,
    repository,
    access,
    httpBase,
    runner,
    service,
    newRunner,
    async events(stream) {
      const result = await store.readStream(stream);
      return result.status === 'found' ? result.events : [];
    },
    async close() {
      for (const each of runners) each.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
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
