import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppendResult } from '../../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import { DeviceQueries } from '../../src/projections/devices/DeviceQueries.ts';
import { devicesProjection } from '../../src/projections/devices/DevicesProjection.ts';
import { deviceHistoryProjection } from '../../src/projections/history/DeviceHistoryProjection.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import { imported, registration } from './DeviceEventFixtures.ts';

const windowMs = 50;
let dir: string;
let store: SqliteEventStore;
let feed: LogFeed;
let database: ReadModelDatabase;
let projector: Projector;
/** Positions the listeners heard, in order; each commit's events are heard together, after it. */
let heard: number[];

beforeEach(async () => {
  // Only the group commit's timer is faked: the store and the feed hand events over on real turns of the event loop.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  dir = mkdtempSync(join(tmpdir(), 'projector-group-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  feed = new LogFeed({ store });
  database = ReadModelDatabase.open(dir);
  projector = new Projector({ store, feed, database, projections: [devicesProjection, deviceHistoryProjection], logger: silentLogger(), groupCommitMs: windowMs, maxBatch: 10 });
  heard = [];
  projector.onProjected((change) => {
    if (change.projection === 'devices') heard.push(change.event.position);
  });
  projector.start();
  // Both read models on the feed: the first event goes through it once the window has passed.
  const first = await store.appendToStream(deviceStream('first'), [imported(registration('first'))], 'no_stream');
  await fedThrough(first);
  await vi.advanceTimersByTimeAsync(windowMs);
  expect(heard).toEqual([first.position]);
});

afterEach(async () => {
  vi.useRealTimers();
  await projector.close();
  await feed.close();
  database.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Real turns of the event loop until the feed has handed the append over. */
async function fedThrough(append: AppendResult): Promise<void> {
  for (let turn = 0; turn < 1000 && feed.position < append.position; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(feed.position).toBe(append.position);
}

const devices = (): string[] => new DeviceQueries(database.db).page({}, 100, undefined).devices.map((device) => device.endpoint);

describe('Projector group commit', () => {
  it('holds the batches the feed hands over within the window and commits them in one transaction, in log order', async () => {
    const transactions = vi.spyOn(database, 'transaction');
    // Two appends, each its own store commit and so its own batch of the feed.
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await fedThrough(a);
    const b = await store.appendToStream(deviceStream('b'), [imported(registration('b'))], 'no_stream');
    await fedThrough(b);

    expect(devices()).toEqual(['first']);
    expect(heard).toHaveLength(1);
    expect(database.checkpoint('devices')?.position).toBeLessThan(a.position);

    await vi.advanceTimersByTimeAsync(windowMs);
    expect(transactions).toHaveBeenCalledTimes(1);
    expect(devices()).toEqual(['a', 'b', 'first']);
    expect(heard.slice(1)).toEqual([a.position, b.position]);
    expect(database.checkpoint('devices')?.position).toBe(b.position);
  });

  it('commits at once, without waiting for the window, when as many events as a batch are held', async () => {
    const endpoints = Array.from({ length: 10 }, (_, index) => `full-${index}`);
    let last: AppendResult | undefined;
    for (const endpoint of endpoints) last = await store.appendToStream(deviceStream(endpoint), [imported(registration(endpoint))], 'no_stream');
    if (last === undefined) throw new Error('nothing appended');
    await fedThrough(last);
    expect(devices()).toEqual(expect.arrayContaining(endpoints));
    expect(heard).toHaveLength(11);
  });

  it('commits what it holds when it closes, without waiting for the window', async () => {
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await fedThrough(a);
    expect(devices()).toEqual(['first']);
    await projector.close();
    expect(devices()).toEqual(['a', 'first']);
    expect(database.checkpoint('devices')?.position).toBe(a.position);
  });

  it('lets a read-your-writes wait end once the window has passed', async () => {
    const a = await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    let caughtUp = false;
    const waiting = projector.waitFor(a.position).then(() => (caughtUp = true));
    await fedThrough(a);
    expect(caughtUp).toBe(false);
    await vi.advanceTimersByTimeAsync(windowMs);
    await waiting;
    expect(devices()).toEqual(['a', 'first']);
  });
});
