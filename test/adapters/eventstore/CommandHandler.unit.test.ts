import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../../src/adapters/eventstore/CommandHandler.ts';
import type { EventStore, ReadStreamOptions, ReadStreamResult } from '../../../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import type { Decider } from '../../../src/domain/Decider.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';

/** A counter: `add` appends Added; `reset` needs an existing counter. */
type Command = { type: 'add'; amount: number } | { type: 'reset' };
type Event = { type: 'Added'; data: { amount: number } } | { type: 'Reset'; data: { from: number } };
const counter: Decider<Command, Event, number | null> = {
  initialState: null,
  decide(command, state) {
    if (command.type === 'add') return command.amount === 0 ? [] : [{ type: 'Added', data: { amount: command.amount } }];
    if (state === null) throw new DomainError('NOT_FOUND', 'no counter');
    return [{ type: 'Reset', data: { from: state } }];
  },
  evolve: (state, event) => (event.type === 'Added' ? (state ?? 0) + event.data.amount : 0),
};

/** The memory store, counting stream reads. */
class CountingStore extends MemoryEventStore implements EventStore {
  reads = 0;
  override readStream(stream: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    this.reads++;
    return super.readStream(stream, options);
  }
}

describe('handleCommand with assumeNewStream', () => {
  it('appends to a new stream without reading it', async () => {
    const store = new CountingStore();
    const result = await handleCommand(store, 'counter-1', counter, { type: 'add', amount: 2 }, { assumeNewStream: true });
    expect(result).toMatchObject({ state: 2, revision: 0 });
    expect(store.reads).toBe(0);
  });

  it('falls back to the stream\'s real state when the stream exists', async () => {
    const store = new CountingStore();
    await handleCommand(store, 'counter-1', counter, { type: 'add', amount: 2 });
    const result = await handleCommand(store, 'counter-1', counter, { type: 'add', amount: 3 }, { assumeNewStream: true });
    expect(result).toMatchObject({ state: 5, revision: 1 });
    const stored = await store.readStream('counter-1');
    expect(stored.status === 'found' && stored.events.map((e) => e.data)).toEqual([{ amount: 2 }, { amount: 3 }]);
  });

  it('decides on the real state when the initial state decides nothing or fails', async () => {
    const store = new CountingStore();
    await handleCommand(store, 'counter-1', counter, { type: 'add', amount: 4 });
    const reset = await handleCommand(store, 'counter-1', counter, { type: 'reset' }, { assumeNewStream: true });
    expect(reset.events).toEqual([{ type: 'Reset', data: { from: 4 } }]);
    const nothing = await handleCommand(store, 'counter-2', counter, { type: 'add', amount: 0 }, { assumeNewStream: true });
    expect(nothing).toMatchObject({ events: [], revision: -1 });
    await expect(handleCommand(store, 'counter-3', counter, { type: 'reset' }, { assumeNewStream: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
