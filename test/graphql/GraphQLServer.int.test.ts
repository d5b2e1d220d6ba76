/**
 * The GraphQL server with small limits, to show that depth and cost limits hold on both transports,
 * and that an unexpected failure reaches the client masked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregateCommandRunner } from '../../src/app/kernel/AggregateCommandRunner.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokenRegistry } from '../../src/app/auth/ApiTokenRegistry.ts';
import { AesGcmSecretSealer } from '../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { DeviceDecommission } from '../../src/app/devices/DeviceDecommission.ts';
import { DeviceImportService } from '../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../src/adapters/csv/DeviceCsvReader.ts';
import { ReadYourWrites } from '../../src/app/kernel/ReadYourWrites.ts';
import { DeviceProtocolService } from '../../src/app/protocols/DeviceProtocolService.ts';
import type { DatagramCoapEndpoint } from '../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { openUdpCoapEndpoint } from '../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { EventStoreDeviceDirectory } from '../../src/app/devices/DeviceDirectory.ts';
import { RegistrationService } from '../../src/app/registration/RegistrationService.ts';
import type { DeviceManagement } from '../../src/app/operations/DeviceManagement.ts';
import { CoapRouter } from '../../src/adapters/coap/CoapRouter.ts';
import { startDeviceManagement } from '../../src/app/operations/DeviceManagement.ts';
import { DeviceManagementApi } from '../../src/app/operations/DeviceManagementApi.ts';
import { OperationRequestService } from '../../src/app/operations/OperationRequestService.ts';
import { coreObjectCatalog } from '../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { FirmwareQueries } from '../../src/projections/firmware/FirmwareQueries.ts';
import { OperationQueries } from '../../src/projections/operations/OperationQueries.ts';
import { ShellHistoryQueries } from '../../src/projections/shell/ShellHistoryQueries.ts';
import { ShellService } from '../../src/app/shell/ShellService.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import type { RunningGraphQLServer } from '../../src/adapters/http/GraphQLServer.ts';
import { openHttpListener } from '../../src/adapters/http/HttpListener.ts';
import { startGraphQLServer } from '../../src/adapters/http/GraphQLServer.ts';
import { ValidationRuleService } from '../../src/app/protocols/ValidationRuleService.ts';
import { TelemetryService } from '../../src/app/telemetry/TelemetryService.ts';
import { systemClock } from '../../src/domain/Clock.ts';
import { graphqlApi } from '../../src/graphql/GraphQLApi.ts';
import { AlarmQueries } from '../../src/projections/alarms/AlarmQueries.ts';
import { BootstrapSessionQueries } from '../../src/projections/bootstrap/BootstrapSessionQueries.ts';
import { DeviceEventQueries } from '../../src/projections/deviceevents/DeviceEventQueries.ts';
import { DevicePropertyQueries } from '../../src/projections/deviceproperties/DevicePropertyQueries.ts';
import { deviceAsOf } from '../../src/projections/devices/DeviceAsOf.ts';
import { DeviceQueries } from '../../src/projections/devices/DeviceQueries.ts';
import { MeasurementQueries } from '../../src/projections/measurements/MeasurementQueries.ts';
import { DeviceProtocolQueries } from '../../src/projections/protocols/DeviceProtocolQueries.ts';
import { DeviceHistoryQueries } from '../../src/projections/history/DeviceHistoryQueries.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../../src/projections/ReadModels.ts';
import { postGraphQL, wsClient, wsQuery } from '../e2e/GraphQLTestClient.ts';
import { firmwareOn } from '../app/firmware/FirmwareHarness.ts';

let dir: string;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;
let server: RunningGraphQLServer;
let registrations: RegistrationService;
let coap: DatagramCoapEndpoint;
let management: DeviceManagement;
let feed: LogFeed;
let token: string;
const logLines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graphql-server-'));
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  database = ReadModelDatabase.open(dir);
  feed = new LogFeed({ store });
  projector = new Projector({ store, feed, database, projections: readModelProjections, logger });
  projector.start();
  const runner = new AggregateCommandRunner({ store });
  const readYourWrites = new ReadYourWrites({ readModels: projector, log: store });
  const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 7));
  const tokens = new ApiTokenRegistry(store, sealer);
  token = (await tokens.create({ role: 'viewer', actor: 'system:test' })).token;
  const protocols = new DeviceProtocolService({ store, feed, clock: systemClock, logger });
  registrations = await RegistrationService.start({ store, feed, directory: new EventStoreDeviceDirectory(store), clock: systemClock, logger });
  coap = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger });
  const uplink = new CoapRouter(registrations.handler('plain'));
  management = await startDeviceManagement({
    store,
    runner: new AggregateCommandRunner({ store }),
    feed,
    endpoint: coap,
    registrations,
    catalog: coreObjectCatalog(),
    clock: systemClock,
    logger,
  });
  uplink.route('dp', management.send);
  coap.handleUnsolicited(management.observations.onUnsolicited);
  coap.handle(uplink.handle);
  const deviceManagement = DeviceManagementApi.over(management, database.db, projector);
  const validationRules = new ValidationRuleService({ store, protocols });
  const operationRequests = new OperationRequestService({ deviceManagement, rules: validationRules, readYourWrites });
  const firmware = firmwareOn({ store, api: deviceManagement, registrations, projector, db: database.db, dataDir: dir, sealer });
  server = await startGraphQLServer({
    listener: await openHttpListener({ host: '127.0.0.1', port: 0 }),
    ...graphqlApi({
      authenticate: (bearer) => tokens.authenticate(bearer),
      limits: { maxDepth: 3, maxCost: 40 },
      services: {
        readYourWrites,
        readModels: projector,
        devices: new DeviceQueries(database.db),
        deviceAsOf: (endpoint, asOf) => deviceAsOf(store, endpoint, asOf),
        deviceDecommission: new DeviceDecommission({ store, runner }),
        history: new DeviceHistoryQueries(database.db),
        deviceImport: new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger }),
        deviceProperties: new DevicePropertyQueries(database.db),
        protocols,
        protocolQueries: new DeviceProtocolQueries(database.db),
        validationRules,
        telemetry: new TelemetryService({ store, protocols, clock: systemClock }),
        measurements: new MeasurementQueries(database.db),
        deviceEvents: new DeviceEventQueries(database.db),
        alarms: new AlarmQueries(database.db),
        bootstrapSessions: new BootstrapSessionQueries(database.db),
        registrations,
        deviceManagement,
        operationRequests,
        shell: new ShellService({
          store,
          runner,
          catalog: coreObjectCatalog(),
          registrations,
          operationRequests,
          deviceManagement,
          firmware: firmware.service,
          history: new ShellHistoryQueries(database.db, new OperationQueries(database.db), new FirmwareQueries(database.db)),
          readModels: projector,
          readYourWrites,
          clock: systemClock,
        }),
        firmware: firmware.service,
        tokens,
        logger,
      },
    }),
    logger,
  });
});

afterAll(async () => {
  await server.close();
  await management.close();
  await coap.close();
  await registrations.close();
  await projector.close();
  database.close();
  await feed.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tooDeep = '{ devices(first: 1) { edges { node { endpoint } } } }';
const tooCostly = '{ a: devices(first: 10) { totalCount } b: devices(first: 10) { totalCount } c: devices(first: 30) { totalCount } }';

describe('operation limits on both transports', () => {
  it('refuses a too deep query over HTTP', async () => {
    const response = await postGraphQL(server.url, token, tooDeep);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', depth: 4, maxDepth: 3 });
  });

  it('refuses a too deep query and a too deep subscription over the WebSocket', async () => {
    const client = wsClient(server.url, token);
    try {
      expect((await wsQuery(client, tooDeep)).errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' });
      const subscription = await wsQuery(client, 'subscription { deviceChanged { history { edges { node { type } } } } }');
      expect(subscription.errors?.[0]?.extensions).toMatchObject({ limit: 'depth', depth: 5 });
    } finally {
      await client.dispose();
    }
  });

  it('refuses a too costly query on both transports, and runs one within the limits', async () => {
    expect((await postGraphQL(server.url, token, tooCostly)).errors?.[0]?.extensions).toMatchObject({ limit: 'cost', cost: 53 });
    const client = wsClient(server.url, token);
    try {
      expect((await wsQuery(client, tooCostly)).errors?.[0]?.extensions).toMatchObject({ limit: 'cost', cost: 53 });
      expect(await wsQuery(client, '{ devices(first: 10) { totalCount } }')).toEqual({ data: { devices: { totalCount: 0 } } });
    } finally {
      await client.dispose();
    }
  });
});

describe('unexpected errors', () => {
  it('reach the client masked and the log in full', async () => {
    database.close();
    const response = await postGraphQL(server.url, token, '{ devices(first: 1) { totalCount } }');
    expect(response.errors).toEqual([{ message: 'Internal server error', path: ['devices'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(logLines.join('')).toContain('unexpected error in a GraphQL operation');
  });
});
