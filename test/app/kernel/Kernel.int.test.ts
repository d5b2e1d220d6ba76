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
});
