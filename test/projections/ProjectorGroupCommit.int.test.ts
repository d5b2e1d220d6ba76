import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppendResult } from '../../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import type { JsonValue } from '../../src/domain/Json.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import type { ResourceValuesReported } from '../../src/domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../../src/domain/observations/ResourceValueEvents.ts';
import { DeviceQueries } from '../../src/projections/devices/DeviceQueries.ts';
import { devicesProjection } from '../../src/projections/devices/DevicesProjection.ts';
import { deviceHistoryProjection } from '../../src/projections/history/DeviceHistoryProjection.ts';
import { ResourceQueries } from '../../src/projections/resources/ResourceQueries.ts';
import { resourcesProjection } from '../../src/projections/resources/ResourcesProjection.ts';
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
  // Only the group commit's clock and timer are faked: the store and the feed hand events over on real turns of the event loop.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  dir = mkdtempSync(join(tmpdir(), 'projector-group-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  feed = new LogFeed({ store });
  database = ReadModelDatabase.open(dir);
  projector = new Projector({ store, feed, database, projections: [devicesProjection, deviceHistoryProjection, resourcesProjection], logger: silentLogger(), groupCommitMs: windowMs, maxBatch: 10 });
  heard = [];
  projector.onProjected((change) => {
    if (change.projection !== deviceHistoryProjection.name) heard.push(change.event.position);
  });
  projector.start();
  // Both read models on the feed: the first event, after a quiet spell, is committed as soon as it is handed over.
  const first = await store.appendToStream(deviceStream('first'), [imported(registration('first'))], 'no_stream');
  await fedThrough(first);
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

/** A device's notified temperature, as the recorder appends it. */
function reported(endpoint: string, text: string): Promise<AppendResult> {
  const data: ResourceValuesReported = {
    endpoint,
    source: 'notification',
    operationId: 'observe-1',
    observationToken: 'abcd',
    values: [{ path: '/3303/0/5700', value: { type: 'float', text }, time: null }],
    receivedAt: '2026-12-07T03:00:00.000Z',
  };
  return store.appendToStream(resourceStream(endpoint), [{ type: 'ResourceValuesReported', data: data as unknown as JsonValue, metadata: { schemaVersion: 1 } }], 'any');
}

const temperature = (endpoint: string): string | undefined => new ResourceQueries(database.db).resources(endpoint).find((value) => value.path === '/3303/0/5700')?.text;

describe('Projector group commit', () => {
  it('holds reported values handed over within the window after a commit and commits them in one transaction, in log order', async () => {
    const transactions = vi.spyOn(database, 'transaction');
    // Three appends, each its own store commit and so its own batch of the feed.
    const a = await reported('a', '21.5');
    await fedThrough(a);
    const b = await reported('b', '22');
    await fedThrough(b);
    const a2 = await reported('a', '23');
    await fedThrough(a2);

    expect(temperature('a')).toBeUndefined();
    expect(heard).toHaveLength(1);
    expect(database.checkpoint('resources')?.position).toBeLessThan(a.position);

    await vi.advanceTimersByTimeAsync(windowMs);
    expect(transactions).toHaveBeenCalledTimes(1);
    expect([temperature('a'), temperature('b')]).toEqual(['23', '22']);
    expect(heard.slice(1)).toEqual([a.position, b.position, a2.position]);
    expect(database.checkpoint('resources')?.position).toBe(a2.position);

    // After a quiet spell as long as the window, the next batch is committed as it comes.
    await vi.advanceTimersByTimeAsync(windowMs);
    const c = await reported('c', '24');
    await fedThrough(c);
    expect(transactions).toHaveBeenCalledTimes(2);
    expect(heard.at(-1)).toBe(c.position);
  });

  it('commits an event that another read model reads as it comes, with the values held before it', async () => {
    const a = await reported('a', '21.5');
    await fedThrough(a);
    expect(temperature('a')).toBeUndefined();
    const device = await store.appendToStream(deviceStream('d'), [imported(registration('d'))], 'no_stream');
    await fedThrough(device);
    expect(temperature('a')).toBe('21.5');
    expect(devices()).toEqual(['d', 'first']);
    // Listeners hear of each read model's events in turn, after the one commit.
    expect(heard.slice(1).sort((x, y) => x - y)).toEqual([a.position, device.position]);
  });

  it('commits at once, without waiting for the window, when as many events as a batch are held', async () => {
    let last: AppendResult | undefined;
    for (let index = 0; index < 10; index++) last = await reported(`full-${index}`, String(index));
    if (last === undefined) throw new Error('nothing appended');
    await fedThrough(last);
    expect(temperature('full-9')).toBe('9');
    expect(heard).toHaveLength(11);
  });

  it('commits what it holds when it closes, without waiting for the window', async () => {
    const a = await reported('a', '21.5');
    await fedThrough(a);
    expect(temperature('a')).toBeUndefined();
    await projector.close();
    expect(temperature('a')).toBe('21.5');
    expect(database.checkpoint('resources')?.position).toBe(a.position);
  });

  it('writes the checkpoint of a read model that reads none of the batches at most once a second, and when it closes', async () => {
    const checkpoint = (name: string): number | undefined => database.checkpoint(name)?.position;
    const a = await reported('a', '21.5');
    await fedThrough(a);
    await vi.advanceTimersByTimeAsync(windowMs);
    expect(checkpoint('resources')).toBe(a.position);
    // The devices and history read models read no reported value: their checkpoints move in memory.
    expect(checkpoint('devices')).toBeLessThan(a.position);
    expect((await projector.status()).projections.find((status) => status.name === 'devices')?.checkpoint).toBe(a.position);

    await vi.advanceTimersByTimeAsync(1000);
    const b = await reported('b', '22');
    await fedThrough(b);
    expect([checkpoint('resources'), checkpoint('devices'), checkpoint('device-history')]).toEqual([b.position, b.position, b.position]);

    const c = await reported('c', '23');
    await fedThrough(c);
    await vi.advanceTimersByTimeAsync(windowMs);
    expect(checkpoint('devices')).toBe(b.position);
    await projector.close();
    expect([checkpoint('resources'), checkpoint('devices'), checkpoint('device-history')]).toEqual([c.position, c.position, c.position]);
  });

  it('lets a read-your-writes wait end once the window has passed', async () => {
    const a = await reported('a', '21.5');
    let caughtUp = false;
    const waiting = projector.waitFor(a.position).then(() => (caughtUp = true));
    await fedThrough(a);
    expect(caughtUp).toBe(false);
    await vi.advanceTimersByTimeAsync(windowMs);
    await waiting;
    expect(temperature('a')).toBe('21.5');
  });
});
