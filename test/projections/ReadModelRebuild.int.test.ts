/**
 * A rebuild writes a replacement read-model file while the live one keeps answering and following the
 * log, and swaps it in by a rename; a rebuild that fails leaves the live file as it was. Real SQLite
 * files in a temp directory; the rebuild's reads of the log are held at a gate so that the tests can
 * look at both files in the middle of a rebuild.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore, ReadAllOptions } from '../../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import { DeviceQueries } from '../../src/projections/devices/DeviceQueries.ts';
import { devicesProjection } from '../../src/projections/devices/DevicesProjection.ts';
import { DeviceHistoryQueries } from '../../src/projections/history/DeviceHistoryQueries.ts';
import { deviceHistoryProjection } from '../../src/projections/history/DeviceHistoryProjection.ts';
import type { ProjectedEvent } from '../../src/projections/Projector.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import { imported, registration, updated } from './DeviceEventFixtures.ts';

/** Events per page of the rebuild's reads: the only reads of the whole log, unfiltered, of this size. */
const rebuildPage = 7;

let dir: string;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;
/** The store as the projector sees it: the rebuild's page reads wait at the gate, or fail. */
let gate: { opened: Promise<void>; open: () => void; reached: Promise<void>; arrive: () => void; fail: Error | undefined };

function closedGate(): typeof gate {
  let open!: () => void;
  let arrive!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  return { opened, open, reached, arrive, fail: undefined };
}

async function gatedReadAll(options: ReadAllOptions | undefined) {
  if (options?.filter === undefined && options?.maxCount === rebuildPage && (options.after ?? 0) > 0) {
    gate.arrive();
    await gate.opened;
    if (gate.fail) throw gate.fail;
  }
  return store.readAll(options);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'read-model-rebuild-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  const gated: EventStore = {
    appendToStream: (stream, events, expected) => store.appendToStream(stream, events, expected),
    readStream: (stream, options) => store.readStream(stream, options),
    readAll: gatedReadAll,
    subscribeToAll: (options) => store.subscribeToAll(options),
    headPosition: () => store.headPosition(),
    health: () => store.health(),
    close: () => Promise.resolve(),
  };
  gate = closedGate();
  database = ReadModelDatabase.open(dir);
  projector = new Projector({ store: gated, feed: new LogFeed({ store: gated }), database, projections: [devicesProjection, deviceHistoryProjection], logger: silentLogger(), rebuildPage });
  projector.start();
  let last = 0;
  for (let i = 0; i < 20; i++) last = (await store.appendToStream(deviceStream(`dev-${i}`), [imported(registration(`dev-${i}`))], 'no_stream')).position;
  await projector.waitFor(last);
  // A mark in the live file that only the rebuilt one lacks.
  database.db.exec("UPDATE devices SET name = 'live file', registration = json_set(registration, '$.name', 'live file') WHERE endpoint = 'dev-0'");
});

afterEach(async () => {
  gate.open();
  await projector.close();
  database.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What another connection opened on the path right now finds there for dev-0. */
function nameInFileAtPath(): unknown {
  const reader = new DatabaseSync(database.path, { readOnly: true });
  try {
    return reader.prepare("SELECT name FROM devices WHERE endpoint = 'dev-0'").get()?.['name'];
  } finally {
    reader.close();
  }
}

describe('Read model rebuild into a replacement file', () => {
  it('keeps the live read models answering and following the log during a rebuild, then swaps the rebuilt file in', async () => {
    const heard: ProjectedEvent[] = [];
    projector.onProjected((change) => heard.push(change));
    const rebuilt = projector.rebuild();
    await gate.reached;

    // Mid-rebuild: the replacement is a file of its own; the live one answers, unchanged, and follows the log.
    expect(existsSync(`${database.path}.rebuild`)).toBe(true);
    const devices = new DeviceQueries(database.db);
    expect(devices.get('dev-0')?.name).toBe('live file');
    const live = await store.appendToStream(deviceStream('dev-3'), [updated('dev-3', { name: 'renamed during the rebuild' })], 0);
    await projector.waitFor(live.position);
    expect(devices.get('dev-3')?.name).toBe('renamed during the rebuild');
    expect(nameInFileAtPath()).toBe('live file');

    gate.open();
    const result = await rebuilt;
    expect(result.position).toBeGreaterThanOrEqual(20);

    // The same connection object now reads the rebuilt file, which has followed the log past the swap.
    expect(existsSync(`${database.path}.rebuild`)).toBe(false);
    expect(devices.get('dev-0')?.name).toBe('dev-0');
    expect(nameInFileAtPath()).toBe('dev-0');
    expect(devices.get('dev-3')?.name).toBe('renamed during the rebuild');
    expect(devices.dump()).toHaveLength(20);
    expect(new DeviceHistoryQueries(database.db).dump().map((entry) => entry.position)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(database.checkpoint('devices')?.position).toBeGreaterThanOrEqual(live.position);
    // Listeners heard of the live append once, not again when the rebuilt read models caught up to it.
    expect(heard.filter((change) => change.event.position === live.position).map((change) => change.projection).sort()).toEqual(['device-history', 'devices']);

    // Still live after the swap.
    const after = await store.appendToStream(deviceStream('late'), [imported(registration('late'))], 'no_stream');
    await projector.waitFor(after.position);
    expect(devices.get('late')?.status).toBe('active');
  });

  it('leaves the live file untouched and deletes the replacement when the rebuild fails', async () => {
    const rebuilt = projector.rebuild();
    await gate.reached;
    gate.fail = new Error('the event store went away mid-rebuild');
    gate.open();
    await expect(rebuilt).rejects.toThrow('the event store went away mid-rebuild');

    expect(existsSync(`${database.path}.rebuild`)).toBe(false);
    expect(new DeviceQueries(database.db).get('dev-0')?.name).toBe('live file');
    expect(nameInFileAtPath()).toBe('live file');
    // And it goes on following the log.
    const after = await store.appendToStream(deviceStream('late'), [imported(registration('late'))], 'no_stream');
    await projector.waitFor(after.position);
    expect(new DeviceQueries(database.db).get('late')?.status).toBe('active');
  });

  it('goes on following the log in the live file when the swap itself fails', async () => {
    const rebuilt = projector.rebuild();
    await gate.reached;
    // The replacement vanishes under the rebuild: writing it through to the disk before the rename fails.
    rmSync(`${database.path}.rebuild`);
    gate.open();
    await expect(rebuilt).rejects.toThrow(/ENOENT/);

    expect(new DeviceQueries(database.db).get('dev-0')?.name).toBe('live file');
    const after = await store.appendToStream(deviceStream('late'), [imported(registration('late'))], 'no_stream');
    await projector.waitFor(after.position);
    expect(new DeviceQueries(database.db).get('late')?.status).toBe('active');
  });

  it('lets the event loop serve the live service between the pages of a rebuild', async () => {
    gate.open();
    // The store reads synchronously: without a turn of the event loop between pages, nothing else
    // (a query, a datagram, a timer) would run until the rebuild had swapped its file in.
    const rebuilt = projector.rebuild();
    const midRebuild = await new Promise<boolean>((resolve) => setImmediate(() => resolve(existsSync(`${database.path}.rebuild`))));
    await rebuilt;
    expect(midRebuild).toBe(true);
  });

  it('deletes the leftover of an interrupted rebuild before it starts a new one', async () => {
    const leftover = new DatabaseSync(`${database.path}.rebuild`);
    leftover.exec("CREATE TABLE devices (endpoint TEXT PRIMARY KEY, name TEXT); INSERT INTO devices VALUES ('dev-0', 'leftover')");
    leftover.close();
    gate.open();
    await projector.rebuild();
    expect(new DeviceQueries(database.db).get('dev-0')?.name).toBe('dev-0');
    expect(new DeviceQueries(database.db).dump()).toHaveLength(20);
  });
});
