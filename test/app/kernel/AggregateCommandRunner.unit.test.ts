import { describe, expect, it } from 'vitest';
import type { CountedEvents } from '../../../src/adapters/eventstore/EventStore.ts';
import type { AppendResult, EventStore, ExpectedRevision, NewEvent, ReadStreamOptions, ReadStreamResult } from '../../../src/adapters/eventstore/EventStore.ts';
import { WrongExpectedVersion } from '../../../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import { counter } from './CounterDecider.ts';

/** The memory store, recording where each stream read started. */
class RecordingStore extends MemoryEventStore implements EventStore {
  readonly readsFrom: number[] = [];
  override readStream(stream: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    this.readsFrom.push(options?.fromRevision ?? 0);
    return super.readStream(stream, options);
  }
}

/** Another writer slips an Added(100) in before each of the first `conflicts` appends. */
class ContendedStore extends MemoryEventStore implements EventStore {
  conflicts: number;
  appends = 0;
  constructor(conflicts: number) {
    super();
    this.conflicts = conflicts;
  }
  override async appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.appends++;
    if (this.conflicts > 0) {
      this.conflicts--;
      await super.appendToStream(stream, [{ type: 'Added', data: { amount: 100 } }], 'any');
    }
    return super.appendToStream(stream, events, expected);
  }
}

describe('AggregateCommandRunner', () => {
  it('appends what the decider decides and returns the events, state, revision and log position', async () => {
    const store = new MemoryEventStore();
    await store.appendToStream('elsewhere', [{ type: 'Other', data: {} }], 'no_stream');
    const runner = new AggregateCommandRunner({ store });
    const first = await runner.run('counter-1', counter, { type: 'add', amount: 2 });
    const second = await runner.run('counter-1', counter, { type: 'add', amount: 3 });
    expect(first).toEqual({ events: [{ type: 'Added', data: { amount: 2 } }], state: 2, revision: 0, position: 2 });
    expect(second).toMatchObject({ state: 5, revision: 1, position: 3 });
    expect(await runner.run('counter-1', counter, { type: 'add', amount: 0 })).toEqual({ events: [], state: 5, revision: 1, position: undefined });
  });

  it('reads only the events appended after its cached state, including another writer\'s', async () => {
    const store = new RecordingStore();
    const runner = new AggregateCommandRunner({ store });
    await runner.run('counter-1', counter, { type: 'add', amount: 2 });
    await store.appendToStream('counter-1', [{ type: 'Added', data: { amount: 40 } }], 0);
    const result = await runner.run('counter-1', counter, { type: 'add', amount: 1 });
    expect(result).toMatchObject({ state: 43, revision: 2 });
    expect(store.readsFrom).toEqual([0, 1]);
  });

  it('keeps a bounded number of streams, reading a dropped one whole again', async () => {
    const store = new RecordingStore();
    const runner = new AggregateCommandRunner({ store, cachedStreams: 1 });
    await runner.run('counter-1', counter, { type: 'add', amount: 1 });
    await runner.run('counter-2', counter, { type: 'add', amount: 1 });
    await runner.run('counter-1', counter, { type: 'add', amount: 1 });
    expect(store.readsFrom).toEqual([0, 0, 0]);
  });

  it('decides again on the new state after a concurrent append', async () => {
    const store = new ContendedStore(2);
    const runner = new AggregateCommandRunner({ store, retries: 2 });
    const result = await runner.run('counter-1', counter, { type: 'add', amount: 1 });
    expect(result).toMatchObject({ state: 201, revision: 2 });
    expect(store.appends).toBe(3);
  });

  it('gives up with WrongExpectedVersion after the bounded number of retries', async () => {
    const store = new ContendedStore(3);
    const runner = new AggregateCommandRunner({ store, retries: 2 });
    await expect(runner.run('counter-1', counter, { type: 'add', amount: 1 })).rejects.toBeInstanceOf(WrongExpectedVersion);
    expect(store.appends).toBe(3);
  });

  it('runs the commands on one stream one after the other, so they never conflict among themselves', async () => {
    const store = new MemoryEventStore();
    const runner = new AggregateCommandRunner({ store, retries: 0 });
    const results = await Promise.all(Array.from({ length: 50 }, () => runner.run('counter-1', counter, { type: 'add', amount: 1 })));
    expect(results.map((result) => result.state)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
  });

  it('fails only the command the decider refuses; the next one on the stream still runs', async () => {
    const runner = new AggregateCommandRunner({ store: new MemoryEventStore() });
    const refused = runner.run('counter-1', counter, { type: 'reset' });
    const next = runner.run('counter-1', counter, { type: 'add', amount: 7 });
    await expect(refused).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await next).toMatchObject({ state: 7, revision: 0 });
  });

  it('does not take a state folded by another decider for its own', async () => {
    const store = new MemoryEventStore();
    const runner = new AggregateCommandRunner({ store });
    await runner.run('counter-1', counter, { type: 'add', amount: 5 });
    const countingEvents = { ...counter, initialState: 0, evolve: (state: number | null) => (state ?? 0) + 1 };
    expect(await runner.run('counter-1', countingEvents, { type: 'add', amount: 1 })).toMatchObject({ state: 2 });
  });

  it('appends to a new stream without reading it when asked to assume it is new, and falls back when it exists', async () => {
    const store = new RecordingStore();
    const runner = new AggregateCommandRunner({ store });
    expect(await runner.run('counter-1', counter, { type: 'add', amount: 2 }, { assumeNewStream: true })).toMatchObject({ state: 2, revision: 0 });
    expect(store.readsFrom).toEqual([]);
    const other = new AggregateCommandRunner({ store });
    expect(await other.run('counter-1', counter, { type: 'add', amount: 3 }, { assumeNewStream: true })).toMatchObject({ state: 5, revision: 1 });
    const stored = await store.readStream('counter-1');
    expect(stored.status === 'found' && stored.events.map((e) => e.data)).toEqual([{ amount: 2 }, { amount: 3 }]);
  });

  it('decides on the real state when assuming a new stream and the initial state decides nothing or fails', async () => {
    const store = new MemoryEventStore();
    await new AggregateCommandRunner({ store }).run('counter-1', counter, { type: 'add', amount: 4 });
    const runner = new AggregateCommandRunner({ store });
    const reset = await runner.run('counter-1', counter, { type: 'reset' }, { assumeNewStream: true });
    expect(reset.events).toEqual([{ type: 'Reset', data: { from: 4 } }]);
    const nothing = await runner.run('counter-2', counter, { type: 'add', amount: 0 }, { assumeNewStream: true });
    expect(nothing).toMatchObject({ events: [], revision: -1 });
    await expect(runner.run('counter-3', counter, { type: 'reset' }, { assumeNewStream: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('folds only the counted events, reading the whole stream each time', async () => {
    const store = new RecordingStore();
    const runner = new AggregateCommandRunner({ store });
    const counted: CountedEvents = (events) => Promise.resolve(events.slice(1));
    await runner.run('counter-1', counter, { type: 'add', amount: 2 });
    await runner.run('counter-1', counter, { type: 'add', amount: 3 }, { counted });
    expect(await runner.run('counter-1', counter, { type: 'add', amount: 4 }, { counted })).toMatchObject({ state: 7, revision: 2 });
    expect(store.readsFrom).toEqual([0, 0, 0]);
  });
  it('loads a stream\'s state without deciding, from the cache topped up with the events appended since', async () => {
    const store = new RecordingStore();
    const runner = new AggregateCommandRunner({ store });
    expect(await runner.load('counter-1', counter)).toEqual({ state: null, revision: -1 });
    await runner.run('counter-1', counter, { type: 'add', amount: 2 });
    await store.appendToStream('counter-1', [{ type: 'Added', data: { amount: 40 } }], 0);
    expect(await runner.load('counter-1', counter)).toEqual({ state: 42, revision: 1 });
    expect(store.readsFrom).toEqual([0, 0, 1]);
  });
  it('decides on a state the caller keeps and appends at its revision without reading; a stale one costs a read', async () => {
    const store = new RecordingStore();
    const runner = new AggregateCommandRunner({ store });
    await store.appendToStream('counter-1', [{ type: 'Added', data: { amount: 2 } }], 'no_stream');
    expect(await runner.run('counter-1', counter, { type: 'add', amount: 3 }, { knownState: { state: 2, revision: 0 } })).toMatchObject({ state: 5, revision: 1 });
    expect(await runner.run('counter-1', counter, { type: 'add', amount: 0 }, { knownState: { state: 5, revision: 1 } })).toMatchObject({ events: [], state: 5, revision: 1 });
    expect(store.readsFrom).toEqual([]);
    expect(await runner.run('counter-1', counter, { type: 'add', amount: 1 }, { knownState: { state: 2, revision: 0 } })).toMatchObject({ state: 6, revision: 2 });
    expect(store.readsFrom).toEqual([0]);
  });
});
