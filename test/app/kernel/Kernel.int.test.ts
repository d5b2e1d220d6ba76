/**
 * The kernel on the SQLite store: two runners stand for two processes sharing one log, so their
 * commands on one stream do conflict, and live views read the file's history and its live appends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import type { RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { LiveView } from '../../../src/app/kernel/LiveView.ts';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import { counter } from './CounterDecider.ts';

describe('the application kernel on SQLite', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-kernel-'));
    store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no command when two runners write one stream at once: each conflict is decided again', async () => {
    const first = new AggregateCommandRunner({ store, retries: 40 });
    const second = new AggregateCommandRunner({ store, retries: 40 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? first : second).run('counter-1', counter, { type: 'add', amount: 1 })));
    expect(results.map((result) => result.state).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    const stored = await store.readStream('counter-1');
    expect(stored.status === 'found' && stored.events.length).toBe(40);
  });

  it('keeps live views from the file, history first, and makes a command\'s append visible at its position', async () => {
    const runner = new AggregateCommandRunner({ store });
    for (let index = 0; index < 30; index++) await runner.run(`counter-${index % 3}`, counter, { type: 'add', amount: 1 });
    const feed = new LogFeed({ store, maxBatch: 7 });
    const perStream = await LiveView.open(feed, {
      name: 'counters',
      filter: { streamPrefixes: ['counter-'] },
      initialState: new Map<string, number>(),
      evolve: (counters, event) => counters.set(event.stream, (counters.get(event.stream) ?? 0) + 1),
    });
    await perStream.waitFor(await store.headPosition());
    const late = await LiveView.open(feed, { name: 'events', initialState: 0, evolve: (count) => count + 1 });
    const { position } = await runner.run('counter-9', counter, { type: 'add', amount: 1 });
    await Promise.all([perStream.waitFor(position ?? Infinity), late.waitFor(position ?? Infinity)]);
    expect([...perStream.state]).toEqual([['counter-0', 10], ['counter-1', 10], ['counter-2', 10], ['counter-9', 1]]);
    expect(late.state).toBe(31);
    await feed.close();
  });

  it('folds staged events at their commit, read back from the file by the view\'s expand, and never those of an import that does not commit', async () => {
    const stage = (importId: string, amount: number): Promise<number> =>
      store.appendToStream(`counter-${importId}`, [{ type: 'Added', data: { amount, importId } }], 'any').then((result) => result.position);
    const commit = (importId: string, firstPosition: number, lastPosition: number): Promise<number> =>
      store.appendToStream(`import-${importId}`, [{ type: 'Committed', data: { importId, firstPosition, lastPosition } }], 'no_stream').then((result) => result.position);
    const add = (amount: number): Promise<number> => store.appendToStream('counter-plain', [{ type: 'Added', data: { amount } }], 'any').then((result) => result.position);
    /** What the staged-import readers do: a staged event is skipped where it stands and read back at its commit. */
    const expand = async (events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> => {
      const taken: RecordedEvent[] = [];
      for (const event of events) {
        const data = event.data as { amount?: number; importId?: string; firstPosition?: number; lastPosition?: number };
        if (event.type === 'Added' && data.importId === undefined) taken.push(event);
        if (event.type !== 'Committed') continue;
        const staged = await store.readAll({ after: (data.firstPosition ?? 0) - 1, filter: { streamPrefixes: ['counter-'] } });
        taken.push(...staged.filter((stagedEvent) => stagedEvent.position <= (data.lastPosition ?? 0) && (stagedEvent.data as { importId?: string }).importId === data.importId));
      }
      return taken;
    };
    const total = (feed: LogFeed, name: string): Promise<LiveView<number[]>> =>
      LiveView.open<number[]>(feed, {
        name,
        filter: { streamPrefixes: ['counter-', 'import-'] },
        initialState: [],
        evolve: (amounts, event) => [...amounts, (event.data as { amount: number }).amount],
        expand,
      });
    const history = [await stage('a', 1), await add(10), await stage('a', 2), await stage('dead', 1000)];
    await commit('a', history[0] ?? 0, history[2] ?? 0);
    const feed = new LogFeed({ store, maxBatch: 2 });
    const fromHistory = await total(feed, 'from history');
    expect(fromHistory.state).toEqual([10, 1, 2]);
    const everything = await LiveView.open(feed, { name: 'every event', initialState: 0, evolve: (count) => count + 1 });
    const live = [await stage('b', 3), await add(20), await stage('b', 4)];
    await fromHistory.waitFor(live[2] ?? 0);
    expect(fromHistory.state).toEqual([10, 1, 2, 20]);
    const committed = await commit('b', live[0] ?? 0, live[2] ?? 0);
    await Promise.all([fromHistory.waitFor(committed), everything.waitFor(committed)]);
    expect(fromHistory.state).toEqual([10, 1, 2, 20, 3, 4]);
    expect(everything.state).toBe(9);
    const late = await total(feed, 'late');
    expect(late.state).toEqual(fromHistory.state);
    await feed.close();
  });
});
