import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import { DeviceQueries } from '../../src/projections/devices/DeviceQueries.ts';
import { devicesProjection } from '../../src/projections/devices/DevicesProjection.ts';
import { DeviceHistoryQueries } from '../../src/projections/history/DeviceHistoryQueries.ts';
import { deviceHistoryProjection } from '../../src/projections/history/DeviceHistoryProjection.ts';
import type { Projection } from '../../src/projections/Projection.ts';
import type { ProjectedEvent } from '../../src/projections/Projector.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import { decommissioned, imported, registration, sealedKey, updated } from './DeviceEventFixtures.ts';

let dir: string;
let store: SqliteEventStore;
const open: Array<{ close(): unknown }> = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'projector-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
});

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function startProjector(projections: readonly Projection[] = [devicesProjection, deviceHistoryProjection]) {
  const database = ReadModelDatabase.open(dir);
  const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections, logger: silentLogger() });
  open.push(database, projector);
  projector.start();
  return { database, projector };
}

describe('Projector', () => {
  it('projects device events into the devices and history read models, secrets redacted', async () => {
    const { database, projector } = startProjector();
    await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await store.appendToStream(
      deviceStream('b'),
      [imported(registration('b', { securityMode: 'PSK', lwm2mPskId: 'b', lwm2mPskKey: sealedKey, bootstrapPskId: 'bs-b', bootstrapPskKey: sealedKey }))],
      'no_stream',
    );
    const last = await store.appendToStream(deviceStream('a'), [updated('a', { name: 'renamed', lwm2mPskKey: sealedKey }), decommissioned('a')], 0);
    await projector.waitFor(last.position);

    const devices = new DeviceQueries(database.db);
    const a = devices.get('a');
    expect(a?.status).toBe('decommissioned');
    expect(a?.name).toBe('renamed');
    expect(a?.lwm2mPskKeySet).toBe(true);
    expect(a?.revision).toBe(2);
    const b = devices.get('b');
    expect(b?.lwm2mPskKeySet).toBe(true);
    expect(b?.bootstrapPskKeySet).toBe(true);
    expect(JSON.stringify(devices.dump())).not.toContain(sealedKey.sealed);
    expect(JSON.stringify(devices.dump())).not.toContain(sealedKey.fingerprint);

    const history = new DeviceHistoryQueries(database.db).page('a', 10, 0);
    expect(history.entries.map((e) => e.type)).toEqual(['DeviceRegistrationImported', 'DeviceRegistrationUpdated', 'DeviceDecommissioned']);
    expect(history.entries.map((e) => e.category)).toEqual(['device', 'device', 'device']);
    expect(history.entries[1]?.data).toMatchObject({ changes: { name: 'renamed', lwm2mPskKey: '[redacted]' } });
    expect(history.entries[0]?.actor).toBe('user:test');
    expect(history.entries[0]?.correlationId).toBe('corr-1');
  });

  it("gathers a device's history from all its streams, and nothing from other streams", async () => {
    const { database, projector } = startProjector();
    await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await store.appendToStream('registration-a', [{ type: 'Registered', data: { endpoint: 'a', psk: { ...sealedKey } } }], 'no_stream');
    await store.appendToStream('telemetry-a', [{ type: 'MeasurementRecorded', data: {} }], 'no_stream');
    await store.appendToStream('registration-b', [{ type: 'Registered', data: { endpoint: 'b' } }], 'no_stream');
    const last = await store.appendToStream('protocol-3', [{ type: 'ProtocolImported', data: {} }], 'no_stream');
    await projector.waitFor(last.position);
    const history = new DeviceHistoryQueries(database.db).page('a', 10, 0);
    expect(history.entries.map((e) => [e.category, e.stream, e.type])).toEqual([
      ['device', 'device-a', 'DeviceRegistrationImported'],
      ['registration', 'registration-a', 'Registered'],
    ]);
    expect(history.entries[1]?.data).toEqual({ endpoint: 'a', psk: '[redacted]' });
  });

  it('notifies listeners right after the commit, with the read model already changed', async () => {
    const { database, projector } = startProjector();
    const seen: Array<{ change: ProjectedEvent; status: string | undefined }> = [];
    projector.onProjected((change) => seen.push({ change, status: new DeviceQueries(database.db).get('a')?.status }));
    const appended = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await projector.waitFor(appended.position);
    const devicesChange = seen.find((s) => s.change.projection === 'devices');
    expect(devicesChange?.status).toBe('active');
    expect(devicesChange?.change.event.position).toBe(appended.position);
  });

  it('waitFor is satisfied when the events up to the position are not the projections\' business', async () => {
    const { projector } = startProjector();
    const other = await store.appendToStream('api-tokens', [{ type: 'Unrelated', data: {} }], 'any');
    await projector.waitFor(other.position);
    const status = await projector.status();
    expect(status.head).toBe(other.position);
    expect(status.projections.find((p) => p.name === 'devices')).toMatchObject({ name: 'devices', caughtUp: true, oldestUnappliedAt: null, failure: null });
  });

  it("moves a caught-up read model's checkpoint past the events it does not read, and keeps it there across a restart", async () => {
    const everything: Projection = { name: 'everything', version: 1, filter: {}, create: () => undefined, drop: () => undefined, apply: () => undefined };
    const first = startProjector([devicesProjection, everything]);
    const device = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await first.projector.waitFor(device.position);
    let other = device;
    for (let i = 0; i < 5; i++) other = await store.appendToStream('api-tokens', [{ type: 'Unrelated', data: {} }], 'any');
    // The read model that reads everything has applied the last event: the feed batch that held it is committed.
    await first.projector.waitFor(other.position);
    const devices = (await first.projector.status()).projections.find((p) => p.name === 'devices');
    expect(devices?.checkpoint).toBe(other.position);
    await first.projector.close();
    expect(first.database.checkpoint('devices')?.position).toBe(other.position);
  });

  it('reports when the oldest event a projection has still to apply was recorded', async () => {
    const first = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await store.appendToStream(deviceStream('b'), [imported(registration('b'))], 'no_stream');
    // Not started: it has applied nothing yet.
    const database = ReadModelDatabase.open(dir);
    const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: [devicesProjection], logger: silentLogger() });
    open.push(database, projector);
    const [recorded] = await store.readAll({ maxCount: 1 });
    const status = await projector.status();
    expect(status.projections).toEqual([{ name: 'devices', checkpoint: 0, caughtUp: false, oldestUnappliedAt: recorded?.recordedAt, failure: null }]);
    expect(recorded?.position).toBe(first.position);
  });

  it('resumes from its checkpoint after a restart: no event is applied twice or lost', async () => {
    const first = startProjector();
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await first.projector.waitFor(a.position);
    await first.projector.close();
    first.database.close();

    // Appended while no projector runs.
    await store.appendToStream(deviceStream('a'), [updated('a', { name: 'second' })], 0);
    const b = await store.appendToStream(deviceStream('b'), [imported(registration('b'))], 'no_stream');

    // The history table's primary key is the position: a duplicate would make the projection fail.
    const second = startProjector();
    await second.projector.waitFor(b.position);
    const history = new DeviceHistoryQueries(second.database.db).dump();
    expect(history.map((e) => e.position)).toEqual([1, 2, 3]);
    expect(new DeviceQueries(second.database.db).get('a')?.name).toBe('second');
  });

  it('keeps the checkpoint and the change in one transaction: a failure mid-batch commits neither', async () => {
    let failOn = 2;
    const flaky: Projection = {
      ...deviceHistoryProjection,
      apply(db: DatabaseSync, event: RecordedEvent) {
        deviceHistoryProjection.apply(db, event);
        if (event.position === failOn) throw new Error('crash while projecting');
      },
    };
    const events = [imported(registration('a')), updated('a', { name: 'x' }), updated('a', { name: 'y' })];
    const last = await store.appendToStream(deviceStream('a'), events, 'no_stream');
    const crashed = startProjector([flaky]);
    await expect(crashed.projector.waitFor(last.position)).rejects.toThrow(/has failed/);
    const checkpoint = crashed.database.checkpoint('device-history')?.position ?? 0;
    const rows = new DeviceHistoryQueries(crashed.database.db).dump();
    // Whatever committed is exactly what the checkpoint covers.
    expect(rows.map((r) => r.position)).toEqual(Array.from({ length: checkpoint }, (_, i) => i + 1));
    expect(checkpoint).toBeLessThan(2);
    await crashed.projector.close();
    crashed.database.close();

    failOn = -1;
    const recovered = startProjector([flaky]);
    await recovered.projector.waitFor(last.position);
    expect(new DeviceHistoryQueries(recovered.database.db).dump().map((r) => r.position)).toEqual([1, 2, 3]);
  });

  it('rebuilds read models equal to the live ones', async () => {
    const { database, projector } = startProjector();
    for (let i = 0; i < 50; i++) {
      await store.appendToStream(deviceStream(`dev-${i}`), [imported(registration(`dev-${i}`))], 'no_stream');
    }
    for (let i = 0; i < 50; i += 3) await store.appendToStream(deviceStream(`dev-${i}`), [updated(`dev-${i}`, { name: `n${i}` })], 0);
    await store.appendToStream(deviceStream('dev-7'), [decommissioned('dev-7')], 'any');
    await store.appendToStream(deviceStream('dev-8'), [decommissioned('dev-8')], 'any');
    // Imported again after its decommissioning, then changed: active again, its creation time kept.
    const last = await store.appendToStream(deviceStream('dev-8'), [imported(registration('dev-8', { name: 'again' })), updated('dev-8', { name: 'again and renamed' })], 'any');
    await projector.waitFor(last.position);
    const liveDevices = new DeviceQueries(database.db).dump();
    const dev8 = liveDevices.find((device) => device.endpoint === 'dev-8');
    expect(dev8).toMatchObject({ status: 'active', name: 'again and renamed' });
    expect(dev8?.createdAt.getTime()).toBeLessThan(dev8?.updatedAt.getTime() ?? 0);
    const liveHistory = new DeviceHistoryQueries(database.db).dump();

    const result = await projector.rebuild();
    expect(result.position).toBe(last.position);
    expect(new DeviceQueries(database.db).dump()).toEqual(liveDevices);
    expect(new DeviceHistoryQueries(database.db).dump()).toEqual(liveHistory);
    expect(liveDevices).toHaveLength(50);

    // Still live after the rebuild.
    const after = await store.appendToStream(deviceStream('late'), [imported(registration('late'))], 'no_stream');
    await projector.waitFor(after.position);
    expect(new DeviceQueries(database.db).get('late')?.status).toBe('active');
  });

  it('lets the event loop run between the pages of a long catch-up', async () => {
    let last = 0;
    for (let i = 0; i < 40; i++) last = (await store.appendToStream(deviceStream(`dev-${i}`), [imported(registration(`dev-${i}`))], 'no_stream')).position;
    const database = ReadModelDatabase.open(dir);
    const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: [devicesProjection], logger: silentLogger(), maxBatch: 5 });
    open.push(database, projector);
    // The checkpoint as every turn of the event loop finds it, until the read model has caught up.
    const seen: number[] = [];
    const watching = new Promise<void>((resolve) => {
      const look = (): void => {
        const position = database.checkpoint('devices')?.position ?? 0;
        seen.push(position);
        if (position >= last) resolve();
        else setImmediate(look);
      };
      setImmediate(look);
    });
    projector.start();
    await projector.waitFor(last);
    await watching;
    // The SQLite store reads synchronously: a catch-up that never yields would be seen at 0, then done.
    expect(seen.some((position) => position > 0 && position < last)).toBe(true);
  });

  it('rebuilds read models projected from another event store instead of resuming from its checkpoints', async () => {
    const first = startProjector([devicesProjection]);
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await first.projector.waitFor(a.position);
    await first.projector.close();
    first.database.close();

    // Another store, at the same positions: its first event sits where the read models' checkpoint is.
    const other = await SqliteEventStore.open(join(dir, 'other', 'events.sqlite'));
    open.push(other);
    const b = await other.appendToStream(deviceStream('b'), [imported(registration('b'))], 'no_stream');
    expect(b.position).toBe(a.position);
    const database = ReadModelDatabase.open(dir);
    const projector = new Projector({ store: other, feed: new LogFeed({ store: other }), database, projections: [devicesProjection], logger: silentLogger() });
    open.push(database, projector);
    projector.start();
    await projector.waitFor(b.position);
    const devices = new DeviceQueries(database.db);
    expect(devices.get('a')).toBeUndefined();
    expect(devices.get('b')?.name).toBe('b');
  });

  it('starts projecting once the store answers, when it does not at first', async () => {
    let refusals = 2;
    const flaky: EventStore = {
      appendToStream: (stream, events, expected) => store.appendToStream(stream, events, expected),
      readStream: (stream, options) => store.readStream(stream, options),
      readAll: (options) => (refusals-- > 0 ? Promise.reject(new Error('the event store is unreachable')) : store.readAll(options)),
      subscribeToAll: (options) => store.subscribeToAll(options),
      headPosition: () => store.headPosition(),
      health: () => store.health(),
      close: () => Promise.resolve(),
    };
    const database = ReadModelDatabase.open(dir);
    const projector = new Projector({ store: flaky, feed: new LogFeed({ store: flaky }), database, projections: [devicesProjection], logger: silentLogger(), startRetryMs: 1 });
    open.push(database, projector);
    projector.start();
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await projector.waitFor(a.position);
    expect(refusals).toBeLessThan(0);
    expect(new DeviceQueries(database.db).get('a')?.status).toBeDefined();
  });

  it('keeps read models across a restart on the same store, also when the log was empty at the first start', async () => {
    const first = startProjector([devicesProjection]);
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await first.projector.waitFor(a.position);
    await first.projector.close();
    // A mark that only a rebuild would erase.
    first.database.db.exec("UPDATE devices SET external_id = 'kept'");
    first.database.close();

    const second = startProjector([devicesProjection]);
    const b = await store.appendToStream(deviceStream('b'), [imported(registration('b'))], 'no_stream');
    await second.projector.waitFor(b.position);
    expect(second.database.db.prepare("SELECT external_id FROM devices WHERE endpoint = 'a'").get()).toEqual({ external_id: 'kept' });
  });

  it('rebuilds a read model whose stored version differs from the code', async () => {
    const first = startProjector([devicesProjection]);
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await first.projector.waitFor(a.position);
    first.database.db.exec("UPDATE devices SET name = 'stale'");
    await first.projector.close();
    first.database.close();

    const second = startProjector([{ ...devicesProjection, version: devicesProjection.version + 1 }]);
    await second.projector.waitFor(a.position);
    expect(new DeviceQueries(second.database.db).get('a')?.name).toBe('a');
    expect(second.database.checkpoint('devices')?.version).toBe(devicesProjection.version + 1);
  });
  it('reads the log once per append for all the read models that are caught up (one shared feed)', async () => {
    const pageReads: number[] = [];
    const counted = await SqliteEventStore.open(join(dir, 'counted', 'events.sqlite'), { onSubscriptionPageRead: (events) => pageReads.push(events) });
    const database = ReadModelDatabase.open(join(dir, 'counted'));
    const projector = new Projector({ store: counted, feed: new LogFeed({ store: counted }), database, projections: [devicesProjection, deviceHistoryProjection], logger: silentLogger() });
    open.push(counted, database, projector);
    projector.start();
    let revision = -1;
    const append = async (): Promise<void> => {
      const appended = await counted.appendToStream(deviceStream('a'), [revision === -1 ? imported(registration('a')) : updated('a', { name: `n${revision}` })], revision === -1 ? 'no_stream' : revision);
      revision = appended.nextExpectedRevision;
      await projector.waitFor(appended.position);
      await new Promise((resolve) => setImmediate(resolve));
    };
    // Both read models join the feed once they have caught up; from then on, one page read per append.
    const deadline = Date.now() + 3000;
    do {
      pageReads.length = 0;
      await append();
    } while (pageReads.length !== 1 && Date.now() < deadline);
    pageReads.length = 0;
    for (let i = 0; i < 5; i++) await append();
    expect(pageReads).toEqual([1, 1, 1, 1, 1]);
    expect(new DeviceHistoryQueries(database.db).dump().map((entry) => entry.position)).toEqual(Array.from({ length: revision + 1 }, (_, i) => i + 1));
    expect(new DeviceQueries(database.db).get('a')?.name).toBe(`n${revision - 1}`);
  });

  it('lets a read model that is behind catch up on its own while the others stay live, then applies every event once', async () => {
    const first = startProjector();
    let last = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    for (let i = 0; i < 30; i++) last = await store.appendToStream(deviceStream(`d${i}`), [imported(registration(`d${i}`))], 'no_stream');
    await first.projector.waitFor(last.position);
    await first.projector.close();
    first.database.close();

    // A new version of the history read model: rebuilt from the start while devices stays caught up.
    const second = startProjector([devicesProjection, { ...deviceHistoryProjection, version: deviceHistoryProjection.version + 1 }]);
    const appends = [];
    for (let i = 0; i < 30; i++) appends.push(store.appendToStream(deviceStream(`live${i}`), [imported(registration(`live${i}`))], 'no_stream'));
    const appended = await Promise.all(appends);
    await second.projector.waitFor(Math.max(...appended.map((a) => a.position)));
    const positions = new DeviceHistoryQueries(second.database.db).dump().map((entry) => entry.position).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    expect(new DeviceQueries(second.database.db).dump()).toHaveLength(61);
  });

  it('stops a read model that fails on a live event alone: the others go on', async () => {
    const flaky: Projection = {
      ...deviceHistoryProjection,
      apply(db: DatabaseSync, event: RecordedEvent) {
        if (event.stream === deviceStream('bad')) throw new Error('cannot project this');
        deviceHistoryProjection.apply(db, event);
      },
    };
    const { database, projector } = startProjector([devicesProjection, flaky]);
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await projector.waitFor(a.position);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.appendToStream(deviceStream('bad'), [imported(registration('bad'))], 'no_stream');
    const after = await store.appendToStream(deviceStream('b'), [imported(registration('b'))], 'no_stream');
    await expect(projector.waitFor(after.position, 1000)).rejects.toThrow(/device-history has failed/);
    const deadline = Date.now() + 2000;
    while (new DeviceQueries(database.db).get('b') === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(new DeviceQueries(database.db).dump().map((device) => device.endpoint).sort()).toEqual(['a', 'b', 'bad']);
    expect(new DeviceHistoryQueries(database.db).dump().map((entry) => entry.position)).toEqual([1]);
  });
});
