/**
 * The EventStoreDB adapter's failure modes, against a gRPC test server that speaks the client's own
 * protocol definitions (test/support/EventStoreDbTestServer.ts). What the adapter does on a healthy
 * server is the contract suite's business (test/contract/eventstoredb.test.ts, with EVENTSTORE_URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent, Subscription } from '../../../src/adapters/eventstore/EventStore.ts';
import { AppendTooLarge, StreamDeleted, WrongExpectedVersion } from '../../../src/adapters/eventstore/EventStore.ts';
import type { Delay, EventStoreDbOptions } from '../../../src/adapters/eventstore/EventStoreDbEventStore.ts';
import { EventStoreConnectionError, EventStoreDbEventStore } from '../../../src/adapters/eventstore/EventStoreDbEventStore.ts';
import type { EventStoreDbTestServerOptions } from '../../support/EventStoreDbTestServer.ts';
import { EventStoreDbTestServer } from '../../support/EventStoreDbTestServer.ts';
import { eventually } from '../../app/operations/DeviceManagementHarness.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import type { Projection } from '../../../src/projections/Projection.ts';
import { Projector } from '../../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';

const servers: EventStoreDbTestServer[] = [];
const stores: EventStoreDbEventStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const server of servers.splice(0)) await server.stop();
});

async function startServer(options: EventStoreDbTestServerOptions = {}): Promise<EventStoreDbTestServer> {
  const server = await EventStoreDbTestServer.start(options);
  servers.push(server);
  return server;
}

function connect(server: EventStoreDbTestServer, options: EventStoreDbOptions = {}): EventStoreDbEventStore {
  const store = EventStoreDbEventStore.connect(server.url, options);
  stores.push(store);
  return store;
}

/** Pulls `count` events from a subscription. */
async function take(iterator: AsyncIterator<RecordedEvent>, count: number): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  while (taken.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error(`subscription ended after ${taken.length} of ${count} events`);
    taken.push(next.value);
  }
  return taken;
}

function typeOf(next: IteratorResult<RecordedEvent>): string | undefined {
  return next.done ? undefined : next.value.type;
}

/** A back-off that waits until the test lets it go, and remembers what it was asked to wait. */
function gatedDelay(): { delay: Delay; requested: number[]; release: () => void } {
  const requested: number[] = [];
  let open: Array<() => void> = [];
  const delay: Delay = (ms, signal) =>
    new Promise((resolve) => {
      requested.push(ms);
      open.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  const release = (): void => {
    const waiting = open;
    open = [];
    for (const resolve of waiting) resolve();
  };
  return { delay, requested, release };
}

describe('EventStoreDB adapter: reads close their gRPC calls', () => {
  it('completes 1,000 registration-like lookups against a server capped at 100 concurrent streams, leaving no read open', async () => {
    const server = await startServer({ maxConcurrentStreams: 100 });
    for (let device = 0; device < 20; device++) {
      server.appendDirect(`device-${device}`, [{ type: 'DeviceImported' }, { type: 'DeviceUpdated' }]);
      server.appendSystemEvents(1);
    }
    // A log larger than an HTTP/2 stream's flow-control window: a read the client stops consuming
    // stays open on the server, as on a real one, until the client cancels it.
    server.appendDirect('measurements', Array.from({ length: 3000 }, () => ({ type: 'MeasurementTaken', data: { value: 'x'.repeat(100) } })));
    server.appendSystemEvents(1);
    const store = connect(server);
    // A quarter of each kind: every kind alone is well over the cap.
    const lookups = [
      async () => expect(await store.headPosition()).toBeGreaterThan(0),
      async () => expect(await store.readAll({ after: 0, maxCount: 2, filter: { streamPrefixes: ['device-'] } })).toHaveLength(2),
      async () => expect((await store.readStream('device-7', { direction: 'backwards', maxCount: 1 })).status).toBe('found'),
      async () => expect((await store.appendToStream('registration-7', [{ type: 'DeviceRegistered', data: {} }], 'any')).position).toBeGreaterThan(0),
    ];
    for (let lookup = 0; lookup < 1000; lookup++) {
      await lookups[lookup % lookups.length]?.();
      // A cancelled read may still be closing on the server; a leaked one stays: 50 are a leak.
      expect(server.openReads).toBeLessThan(50);
    }
    await eventually(() => (server.openReads === 0 ? true : undefined));
  }, 60_000);

  it('reads a stream longer than one page completely, page by page', async () => {
    const server = await startServer();
    server.appendDirect('long', Array.from({ length: 600 }, () => ({ type: 'Counted' })));
    const store = connect(server);
    const forwards = await store.readStream('long');
    const backwards = await store.readStream('long', { direction: 'backwards' });
    expect(forwards.status === 'found' ? forwards.events.map((e) => e.revision) : []).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(backwards.status === 'found' ? backwards.events.map((e) => e.revision) : []).toEqual(Array.from({ length: 600 }, (_, i) => 599 - i));
    await eventually(() => (server.openReads === 0 ? true : undefined));
  });
});

describe('EventStoreDB adapter: filtered reads', () => {
  it('lets the server filter: a filtered read of a large log receives only the matching events', async () => {
    const server = await startServer();
    for (let i = 0; i < 1000; i++) server.appendDirect(`registration-${i}`, [{ type: 'DeviceRegistered' }]);
    server.appendDirect('firmware-1', [{ type: 'FirmwareUpdateRequested' }]);
    for (let i = 0; i < 1000; i++) server.appendDirect(`measurement-${i}`, [{ type: 'MeasurementTaken' }]);
    const store = connect(server);
    const before = server.eventsSent;
    const events = await store.readAll({ filter: { streamPrefixes: ['firmware-'] } });
    expect(events.map((e) => e.stream)).toEqual(['firmware-1']);
    // One matching event, and one page of the log's tail to find its head.
    expect(server.eventsSent - before).toBeLessThan(50);
    await eventually(() => (server.openReads === 0 ? true : undefined));
  });

  it('a bounded read from the start of a long log receives a bounded part of it, not the whole log', async () => {
    const server = await startServer();
    for (let i = 0; i < 200; i++) server.appendDirect(`measurement-${i}`, Array.from({ length: 100 }, () => ({ type: 'MeasurementTaken' })));
    const store = connect(server);
    const before = server.eventsSent;
    const events = await store.readAll({ maxCount: 10 });
    expect(events).toHaveLength(10);
    // The catch-up subscription behind the read is cancelled after ten events; what the server sent
    // before it saw the cancellation is what the HTTP/2 flow-control window let through.
    expect(server.eventsSent - before).toBeLessThan(2_000);
    await eventually(() => (server.openReads === 0 ? true : undefined));
  });

  it('matches event types exactly and skips system events', async () => {
    const server = await startServer();
    server.appendDirect('a', [{ type: 'Started' }, { type: 'StartedLate' }]);
    server.appendSystemEvents(40);
    server.appendDirect('b', [{ type: 'Started' }]);
    server.appendSystemEvents(40);
    const store = connect(server);
    const started = await store.readAll({ filter: { eventTypes: ['Started'] } });
    expect(started.map((e) => `${e.stream}/${e.type}`)).toEqual(['a/Started', 'b/Started']);
    const all = await store.readAll({});
    expect(all.map((e) => e.stream)).toEqual(['a', 'a', 'b']);
    expect(await store.headPosition()).toBe(all[2]?.position);
  });
});

describe('EventStoreDB adapter: subscriptions resume', () => {
  it('resubscribes after UNAVAILABLE from the last delivered position: no gap, no duplicate, and reports it meanwhile', async () => {
    const server = await startServer();
    server.appendDirect('a', [{ type: 'One' }, { type: 'Two' }]);
    const backoff = gatedDelay();
    const store = connect(server, { delay: backoff.delay });
    const subscription = store.subscribeToAll({});
    const iterator = subscription[Symbol.asyncIterator]();
    expect((await take(iterator, 2)).map((e) => e.type)).toEqual(['One', 'Two']);

    server.dropSubscriptions();
    const third = iterator.next();
    await eventually(() => (backoff.requested.length === 1 ? true : undefined));
    expect(store.health()).toMatchObject({ ok: false });
    expect(store.health().reason).toMatch(/resuming/);
    server.appendDirect('a', [{ type: 'Three' }]);
    backoff.release();
    expect(typeOf(await third)).toBe('Three');
    server.appendDirect('a', [{ type: 'Four' }]);
    expect((await take(iterator, 1)).map((e) => e.type)).toEqual(['Four']);
    expect(store.health()).toEqual({ ok: true });
    await subscription.close();
  });

  it('resubscribes when the server ends a subscription cleanly', async () => {
    const server = await startServer();
    const backoff = gatedDelay();
    const store = connect(server, { delay: backoff.delay });
    const subscription = store.subscribeToAll({ filter: { streamPrefixes: ['a'] } });
    const iterator = subscription[Symbol.asyncIterator]();
    server.appendDirect('a', [{ type: 'One' }]);
    await take(iterator, 1);
    server.endSubscriptions();
    const next = iterator.next();
    await eventually(() => (backoff.requested.length === 1 ? true : undefined));
    expect(store.health().reason).toMatch(/ended the subscription/);
    server.appendDirect('a', [{ type: 'Two' }]);
    backoff.release();
    expect(typeOf(await next)).toBe('Two');
    await subscription.close();
  });

  it('backs off exponentially up to a bound while the server stays unreachable, and stops on close', async () => {
    const server = await startServer();
    const requested: number[] = [];
    // Answers at once: the test is about the delays asked for, not about waiting them.
    const delay: Delay = (ms) => {
      requested.push(ms);
      return new Promise((resolve) => setImmediate(resolve));
    };
    const store = connect(server, { delay, backoff: { initialMs: 100, maxMs: 1000 } });
    const subscription: Subscription = store.subscribeToAll({});
    const pending = subscription[Symbol.asyncIterator]().next();
    await eventually(() => (server.liveSubscriptions === 1 ? true : undefined));
    await server.stop();
    await eventually(() => (requested.length >= 7 ? true : undefined));
    expect(requested.slice(0, 7)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(store.health().ok).toBe(false);
    await subscription.close();
    expect((await pending).done).toBe(true);
  });

  it('closes the gRPC call of a closed subscription', async () => {
    const server = await startServer();
    const store = connect(server);
    const subscription = store.subscribeToAll({});
    const pending = subscription[Symbol.asyncIterator]().next();
    await eventually(() => (server.liveSubscriptions === 1 ? true : undefined));
    await subscription.close();
    expect((await pending).done).toBe(true);
    await eventually(() => (server.openReads === 0 ? true : undefined));
  });
});

describe('EventStoreDB adapter: read models across a dropped connection', () => {
  /** A read model of the `device-` events' types, in order. */
  const deviceTypes: Projection = {
    name: 'device-types',
    version: 1,
    filter: { streamPrefixes: ['device-'] },
    create: (db) => db.exec('CREATE TABLE IF NOT EXISTS device_types (position INTEGER PRIMARY KEY, type TEXT NOT NULL)'),
    drop: (db) => db.exec('DROP TABLE IF EXISTS device_types'),
    apply: (db, event) => void db.prepare('INSERT INTO device_types (position, type) VALUES (?, ?)').run(event.position, event.type),
  };

  it('keeps projecting after the server drops every subscription', async () => {
    const server = await startServer();
    const store = connect(server, { backoff: { initialMs: 1, maxMs: 1 } });
    const dir = mkdtempSync(join(tmpdir(), 'esdb-projector-'));
    const database = ReadModelDatabase.open(dir);
    const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: [deviceTypes], logger: silentLogger() });
    try {
      projector.start();
      const first = await store.appendToStream('device-a', [{ type: 'Imported', data: {} }], 'no_stream');
      await projector.waitFor(first.position);
      server.dropSubscriptions();
      const second = await store.appendToStream('device-a', [{ type: 'Updated', data: {} }], 0);
      await projector.waitFor(second.position);
      expect(database.db.prepare('SELECT type FROM device_types ORDER BY position').all()).toEqual([{ type: 'Imported' }, { type: 'Updated' }]);
      expect((await projector.status()).projections.map((p) => p.failure)).toEqual([null]);
    } finally {
      await projector.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('EventStoreDB adapter: appends and errors', () => {
  it('refuses throwOnAppendFailure=false, which would turn conflicts into silent lost writes', async () => {
    const server = await startServer();
    expect(() => EventStoreDbEventStore.connect(`${server.url}&throwOnAppendFailure=false`)).toThrow(EventStoreConnectionError);
    expect(() => EventStoreDbEventStore.connect(`${server.url}&throwOnAppendFailure=false`)).toThrow(/throwOnAppendFailure=false/);
  });

  it('reports a conflict as WrongExpectedVersion', async () => {
    const server = await startServer();
    const store = connect(server);
    await store.appendToStream('a', [{ type: 'One', data: {} }], 'no_stream');
    await expect(store.appendToStream('a', [{ type: 'Two', data: {} }], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedVersion);
  });

  it('retries an append the server could not answer with the same event ids: written once either way', async () => {
    const server = await startServer();
    const backoff = gatedDelay();
    const store = connect(server, { delay: backoff.delay });
    server.failNextAppends({ committed: true });
    const lostReply = store.appendToStream('a', [{ type: 'One', data: {} }], 'no_stream');
    await eventually(() => (backoff.requested.length === 1 ? true : undefined));
    backoff.release();
    expect((await lostReply).nextExpectedRevision).toBe(0);
    server.failNextAppends({ committed: false });
    const refused = store.appendToStream('a', [{ type: 'Two', data: {} }], 0);
    await eventually(() => (backoff.requested.length === 2 ? true : undefined));
    backoff.release();
    expect((await refused).nextExpectedRevision).toBe(1);
    expect(server.log.map((e) => e.type)).toEqual(['One', 'Two']);
    expect(server.appendsReceived).toBe(4);
  });

  it('maps a tombstoned stream to StreamDeleted and an oversized append to AppendTooLarge', async () => {
    const server = await startServer({ maxAppendSize: 1000 });
    const store = connect(server);
    server.tombstone('gone');
    await expect(store.appendToStream('gone', [{ type: 'One', data: {} }], 'any')).rejects.toBeInstanceOf(StreamDeleted);
    await expect(store.readStream('gone')).rejects.toBeInstanceOf(StreamDeleted);
    const large = store.appendToStream('big', [{ type: 'Package', data: { image: 'x'.repeat(2000) } }], 'any');
    await expect(large).rejects.toBeInstanceOf(AppendTooLarge);
    await expect(large).rejects.toMatchObject({ maxBytes: 1000 });
  });

  it('gives events read from a stream position 0 when the server has none for them (before 22.6)', async () => {
    const server = await startServer({ streamReadsWithoutPosition: true });
    server.appendDirect('a', [{ type: 'One' }]);
    const store = connect(server);
    const read = await store.readStream('a');
    expect(read.status === 'found' ? read.events.map((e) => e.position) : undefined).toEqual([0]);
  });
});
