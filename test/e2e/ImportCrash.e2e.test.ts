/**
 * "All or none" whatever moment an import dies: `lwm2m-hub import-devices` (a large CSV), the service
 * running the same CSV's import mutation, and `lwm2m-hub import-protocol` (a DDF document of many
 * objects) are killed (SIGKILL) at random moments while they append. After each kill, every reader of the store sees none of the rows or objects or
 * all of them, as after a restart:
 * - devices: the registration directory (who may register), the PSK identity lookups of the LwM2M
 *   and bootstrap servers (the DTLS handshakes) and the devices read model (the GraphQL device list);
 * - protocols: the protocol service (telemetry's mapping, the codecs' models) and the device protocols
 *   read model.
 * Running the import again then makes all of them visible.
 *
 * The kill points are drawn from a seeded generator; the tests' names show the seed, and CRASH_SEED
 * replays it.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BootstrapDeviceDirectory } from '../../src/app/bootstrap/BootstrapDeviceDirectory.ts';
import { EventStoreDeviceDirectory } from '../../src/app/devices/DeviceDirectory.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import { DeviceProtocolService } from '../../src/app/protocols/DeviceProtocolService.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { Lwm2mPskIdentityIndex } from '../../src/app/security/Lwm2mPskIdentityIndex.ts';
import { systemClock } from '../../src/domain/Clock.ts';
import { DeviceQueries } from '../../src/projections/devices/DeviceQueries.ts';
import { devicesProjection } from '../../src/projections/devices/DevicesProjection.ts';
import type { Projection } from '../../src/projections/Projection.ts';
import { DeviceProtocolQueries } from '../../src/projections/protocols/DeviceProtocolQueries.ts';
import { deviceProtocolsProjection } from '../../src/projections/protocols/DeviceProtocolsProjection.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import type { ServeProcess } from './CliProcess.ts';
import { runCli, startCli, startServe } from './CliProcess.ts';
import type { GraphQLResponse } from './GraphQLTestClient.ts';
import { postGraphQL } from './GraphQLTestClient.ts';
import { seededRandom } from '../support/SeededRandom.ts';

const ROWS = 10_000;
const OBJECTS = 300;
const KILLS = 3;
/** PSK identities (LwM2M and bootstrap) looked up after each kill: a sample, as each hit reads the device's stream. */
const PSK_SAMPLE = 200;
const seed = Number(process.env['CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

const endpoints = Array.from({ length: ROWS }, (_, i) => `crash-${String(i).padStart(5, '0')}`);
const csv =
  [
    'endpoint id,securityMode,lwm2m psk_id,lwm2m psk_key,bootstrap psk_id,bootstrap psk_key',
    ...endpoints.map((endpoint, i) => `${endpoint},PSK,${endpoint}-id,${i.toString(16).padStart(32, '0')},${endpoint}-bs,f${i.toString(16).padStart(31, '0')}`),
  ].join('\n') + '\n';

/** A DDF document of OBJECTS objects of one resource each: every object is its own protocol stream. */
const objectIds = Array.from({ length: OBJECTS }, (_, i) => 20_000 + i);
const ddf = `<?xml version="1.0" encoding="UTF-8"?>
<LWM2M>${objectIds
  .map(
    (id) => `<Object ObjectType="MODefinition"><Name>Crash ${id}</Name><Description1></Description1><ObjectID>${id}</ObjectID>
<ObjectURN>urn:oma:lwm2m:x:${id}</ObjectURN><LWM2MVersion>1.0</LWM2MVersion><ObjectVersion>1.0</ObjectVersion>
<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Resources><Item ID="1"><Name>Value</Name><Operations>R</Operations>
<MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory><Type>Integer</Type><RangeEnumeration></RangeEnumeration><Units></Units>
<Description></Description></Item></Resources></Object>`,
  )
  .join('\n')}</LWM2M>
`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

const cliEnv = { LWM2M_HUB_MASTER_KEY: '', LOG_FORMAT: 'json' };

/** The position of the last event in the store's file, read beside the process that writes it (WAL). */
function lastPosition(dataDir: string): number {
  const file = join(dataDir, 'events.sqlite');
  if (!existsSync(file)) return 0;
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number(db.prepare('SELECT max(position) AS position FROM events').get()?.['position'] ?? 0);
  } catch {
    return 0; // the writer has not created its tables yet
  } finally {
    db.close();
  }
}

/** Kills `child` (SIGKILL) once the store in `dataDir` has `events` more events than now; resolves with its exit. */
async function killOnceAppended(child: ChildProcess, exited: Promise<number | null>, dataDir: string, events: number): Promise<string> {
  const target = lastPosition(dataDir) + events;
  const poll = setInterval(() => {
    if (lastPosition(dataDir) >= target) child.kill('SIGKILL');
  }, 5);
  try {
    return `exit ${String(await exited)}`;
  } finally {
    clearInterval(poll);
  }
}

/** A CLI import that is killed after `events` events, and run to its end. */
function cliImport(command: readonly [string, string]): Pick<KilledImport<unknown>, 'killedAfter' | 'complete'> {
  return {
    killedAfter: (dataDir, events) => {
      const cli = startCli([...command, '--data-dir', dataDir], cliEnv);
      return killOnceAppended(cli.child, cli.exited, dataDir, events);
    },
    complete: async (dataDir) => {
      const again = await runCli([...command, '--data-dir', dataDir], cliEnv);
      expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
    },
  };
}

const importMutation = 'mutation Import($csv: String!) { importDeviceRegistrations(csv: $csv) { imported updated unchanged } }';

/** Starts the service and sends it the CSV in the import mutation; the answer (when there is one) and the service. */
async function serviceImport(dataDir: string): Promise<{ serve: ServeProcess; answer: Promise<GraphQLResponse | undefined> }> {
  const serve = await startServe(dataDir, cliEnv);
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  // A killed service answers nothing: the request fails.
  const answer = postGraphQL(serve.graphqlUrl, token, importMutation, { csv }).catch(() => undefined);
  return { serve, answer };
}

interface Visible {
  readonly directory: number;
  readonly readModel: number;
  readonly pskSample: number;
  /** Of the same sample, the identities the DTLS key lookup finds (from the identity view alone). */
  readonly pskKeySample: number;
  readonly bootstrapSample: number;
}

const noDevices: Visible = { directory: 0, readModel: 0, pskSample: 0, pskKeySample: 0, bootstrapSample: 0 };
const allDevices: Visible = { directory: ROWS, readModel: ROWS, pskSample: PSK_SAMPLE, pskKeySample: PSK_SAMPLE, bootstrapSample: PSK_SAMPLE };

/** Opens the data directory as a restarted service would, with its read models caught up, for `read`. */
async function restarted<T>(dataDir: string, projection: Projection, read: (store: SqliteEventStore, database: ReadModelDatabase) => Promise<T>): Promise<T> {
  const store = await SqliteEventStore.open(join(dataDir, 'events.sqlite'));
  const database = ReadModelDatabase.open(dataDir);
  const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: [projection], logger: silentLogger() });
  try {
    projector.start();
    await projector.waitFor(await store.headPosition());
    return await read(store, database);
  } finally {
    await projector.close();
    database.close();
    await store.close();
  }
}

/** How many of the file's devices each reader sees. */
function visibleDevices(dataDir: string): Promise<Visible> {
  return restarted(dataDir, devicesProjection, async (store, database) => {
    const readModel = new DeviceQueries(database.db).page({ status: 'active' }, 1, undefined).totalCount;
    const directory = new EventStoreDeviceDirectory(store);
    let known = 0;
    for (const endpoint of endpoints) if ((await directory.lookup(endpoint)) !== undefined) known++;
    const identities = new Lwm2mPskIdentityIndex(store);
    const bootstrap = new BootstrapDeviceDirectory(store);
    let pskSample = 0;
    let pskKeySample = 0;
    let bootstrapSample = 0;
    for (let i = 0; i < ROWS; i += ROWS / PSK_SAMPLE) {
      if ((await identities.device(`${endpoints[i] ?? ''}-id`)) !== undefined) pskSample++;
      if ((await identities.keys(`${endpoints[i] ?? ''}-id`)) !== undefined) pskKeySample++;
      if ((await bootstrap.byPskIdentity(`${endpoints[i] ?? ''}-bs`)) !== undefined) bootstrapSample++;
    }
    return { directory: known, readModel, pskSample, pskKeySample, bootstrapSample };
  });
}

/** How many of the document's objects have a protocol, for each reader. */
function visibleProtocols(dataDir: string): Promise<{ readonly service: number; readonly models: number; readonly readModel: number }> {
  return restarted(dataDir, deviceProtocolsProjection, async (store, database) => {
    const feed = new LogFeed({ store });
    const protocols = new DeviceProtocolService({ store, feed, clock: systemClock, logger: silentLogger() });
    let service = 0;
    for (const objectId of objectIds) if ((await protocols.protocolState(objectId)).versions.size > 0) service++;
    const models = (await protocols.uploadedModels()).length;
    await feed.close();
    const readModel = new DeviceProtocolQueries(database.db).list().length;
    return { service, models, readModel };
  });
}

interface KilledImport<Seen> {
  /** Runs the import on `dataDir`, killing its process once it has appended `events` events; says how it ended. */
  readonly killedAfter: (dataDir: string, events: number) => Promise<string>;
  /** Runs the import on `dataDir` to its end. */
  readonly complete: (dataDir: string) => Promise<void>;
  /** The events the import appends (one per row or object), and the share of them the kills fall in. */
  readonly events: number;
  readonly killedWithin: number;
  readonly visible: (dataDir: string) => Promise<Seen>;
  readonly none: Seen;
  readonly all: Seen;
}

/**
 * Kills the import at KILLS seeded random points, each time checking that none or all is visible, then
 * runs it to its end and checks that all is. One data directory throughout: each run after a kill also
 * meets the staged events of the runs before.
 */
async function killAtRandomThenImport<Seen>(run: KilledImport<Seen>): Promise<void> {
  const random = seededRandom(seed);
  const dataDir = tempDir('lwm2m-hub-crash-');
  for (let kill = 0; kill < KILLS; kill++) {
    const events = 1 + Math.floor(random() * run.events * run.killedWithin);
    const ended = await run.killedAfter(dataDir, events);
    const where = `CRASH_SEED=${seed}, kill ${kill + 1} after ${events} of ${run.events} events appended (${ended})`;
    expect([run.none, run.all], where).toContainEqual(await run.visible(dataDir));
  }
  await run.complete(dataDir);
  expect(await run.visible(dataDir)).toEqual(run.all);
}

describe('imports killed at random moments', () => {
  // The seed is in the tests' names, so that every report shows it.
  it(`shows none or all of ${ROWS} rows after each kill, and all of them once imported again (CRASH_SEED=${seed})`, { timeout: 120_000 }, async () => {
    const file = join(tempDir('lwm2m-hub-crash-csv-'), 'devices.csv');
    writeFileSync(file, csv);
    await killAtRandomThenImport({
      ...cliImport(['import-devices', file]),
      events: ROWS,
      killedWithin: 0.9,
      visible: visibleDevices,
      none: noDevices,
      all: allDevices,
    });
  });

  it(`shows none or all of ${ROWS} rows imported through the service's API after each kill of the service, and all of them once imported again (CRASH_SEED=${seed})`, { timeout: 120_000 }, async () => {
    await killAtRandomThenImport({
      killedAfter: async (dataDir, events) => {
        const { serve, answer } = await serviceImport(dataDir);
        // An import that ends before the kill point (appended in one go) leaves nothing to kill mid-way.
        void answer.then(() => serve.child.kill('SIGKILL'));
        return killOnceAppended(serve.child, serve.exited, dataDir, events);
      },
      complete: async (dataDir) => {
        const { serve, answer } = await serviceImport(dataDir);
        try {
          expect((await answer)?.errors).toBeUndefined();
          // The device list of the API, as the mutation answered after its read models caught up.
          const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
          expect((await postGraphQL(serve.graphqlUrl, token, '{ devices(first: 1) { totalCount } }')).data).toEqual({ devices: { totalCount: ROWS } });
        } finally {
          serve.child.kill('SIGTERM');
          await serve.exited;
        }
      },
      events: ROWS,
      killedWithin: 0.9,
      visible: visibleDevices,
      none: noDevices,
      all: allDevices,
    });
  });

  it(`shows none or all of the ${OBJECTS} objects of a DDF document after each kill, and all of them once imported again (CRASH_SEED=${seed})`, { timeout: 120_000 }, async () => {
    const file = join(tempDir('lwm2m-hub-crash-ddf-'), 'objects.xml');
    writeFileSync(file, ddf);
    await killAtRandomThenImport({
      ...cliImport(['import-protocol', file]),
      events: OBJECTS,
      // The objects are appended within a fraction of a second: early kill points leave room for the
      // events appended between the poll that sees the target and the kill.
      killedWithin: 0.5,
      visible: visibleProtocols,
      none: { service: 0, models: 0, readModel: 0 },
      all: { service: OBJECTS, models: OBJECTS, readModel: OBJECTS },
    });
  });
});
