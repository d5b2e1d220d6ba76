/**
 * A rebuild writes every read model, row for row, as the live projector wrote it from the same log:
 * its pages cut devices' events apart and put an import's commit in a later page than its staged
 * events, it writes them all in one transaction, and it creates the query indexes once the rows are
 * in. Real SQLite files; all the service's read models.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { commitDeviceImport } from '../../src/app/devices/DeviceImportCommits.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import type { JsonValue } from '../../src/domain/Json.ts';
import { telemetryStream } from '../../src/domain/telemetry/TelemetryEvents.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../../src/projections/ReadModels.ts';
import { decommissioned, imported, registration, sealedKey, updated } from './DeviceEventFixtures.ts';

/** Not a multiple of the events each device appends at once: page boundaries fall inside a device's events. */
const rebuildPage = 31;
const devices = 40;

let dir: string;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rebuilt-read-models-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  database = ReadModelDatabase.open(dir);
  projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: readModelProjections, logger: silentLogger(), rebuildPage });
  projector.start();
});

afterEach(async () => {
  await projector.close();
  database.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function staged(event: NewEvent, importId: string): NewEvent {
  return { ...event, data: { ...(event.data as Record<string, JsonValue>), importId, staged: true } };
}

function telemetry(endpoint: string, n: number): NewEvent[] {
  const source = { path: '/3303/0/5700', protocolVersion: null, rule: 'default' };
  const time = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  return [
    { type: 'MeasurementCreated', data: { endpoint, type: 'c8y_TemperatureMeasurement', series: 'T', value: 20 + n, unit: 'Cel', time, source } },
    { type: 'EventCreated', data: { endpoint, type: 'c8y_Reboot', text: `reboot ${n}`, time, attributes: { n }, source } },
  ];
}

/**
 * Every read model table's rows (as JSON, sorted: row ids are no part of a read model) and every
 * index's definition. The checkpoints are left out: how far a live read model has seen past the
 * events it reads depends on how the feed handed them over.
 */
function contents(db: DatabaseSync): { tables: Record<string, string[]>; indexes: unknown[] } {
  const tables: Record<string, string[]> = {};
  for (const row of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'projection_checkpoints' ORDER BY name").all()) {
    const table = String(row['name']);
    tables[table] = db
      .prepare(`SELECT * FROM "${table}"`)
      .all()
      .map((tableRow) => JSON.stringify(tableRow))
      .sort();
  }
  const indexes = db.prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").all();
  return { tables, indexes };
}

describe('Rebuilt read models', () => {
  it('are the live read models, table by table and index by index', async () => {
    // An import whose staged events are in the first page and whose commit is in the last.
    const first = await store.appendToStream(deviceStream('imp-a'), [staged(imported(registration('imp-a')), 'import-s')], 'no_stream');
    await store.appendToStream(deviceStream('imp-b'), [staged(imported(registration('imp-b', { lwm2mPskKey: sealedKey })), 'import-s')], 'no_stream');
    const stagedLast = await store.appendToStream(deviceStream('dev-0'), [staged(updated('dev-0', { name: 'imported name' }), 'import-s')], 'any');
    const appends: Array<{ first: number; last: number }> = [];
    for (let i = 0; i < devices; i++) {
      const endpoint = `dev-${i}`;
      const device = registration(endpoint, i % 2 === 0 ? { securityMode: 'PSK', lwm2mPskId: endpoint, lwm2mPskKey: sealedKey } : {});
      const events = [imported(device), updated(endpoint, { name: `${endpoint}-a` }), updated(endpoint, { name: `${endpoint}-b`, lwm2mPskKey: sealedKey }), updated(endpoint, { registrationLifetime: 600 + i })];
      const appended = await store.appendToStream(deviceStream(endpoint), events, i === 0 ? 0 : 'no_stream');
      appends.push({ first: appended.position - events.length + 1, last: appended.position });
      await store.appendToStream(telemetryStream(endpoint), telemetry(endpoint, i), 'any');
    }
    await store.appendToStream(deviceStream('dev-1'), [decommissioned('dev-1')], 'any');
    const commit = await commitDeviceImport(store, { importId: 'import-s', firstPosition: first.position, lastPosition: stagedLast.position, imported: 2, updated: 1 }, {});
    expect(appends.some(({ first, last }) => Math.floor(first / rebuildPage) !== Math.floor(last / rebuildPage))).toBe(true);
    expect(Math.floor(commit.position / rebuildPage)).toBeGreaterThan(Math.floor(stagedLast.position / rebuildPage));
    await projector.waitFor(await store.headPosition());
    const live = contents(database.db);
    expect(live.tables['devices']).toHaveLength(devices + 2);
    expect(live.tables['measurements']).toHaveLength(devices);
    expect(live.indexes.map((index) => (index as { name: string }).name)).toEqual(expect.arrayContaining(['device_history_by_endpoint', 'devices_by_status', 'measurements_by_time', 'device_events_by_type']));

    await projector.rebuild();

    expect(contents(database.db)).toEqual(live);
  });
});
