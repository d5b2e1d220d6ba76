import { describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { commitImport, ImportCommits } from '../../../src/app/kernel/ImportCommits.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import type { Decider } from '../../../src/domain/Decider.ts';

/** Three events on one stream: one from before imports were staged, one each from imports `a` and `b`. */
async function streamOfThree(store: EventStore): Promise<readonly RecordedEvent[]> {
  await store.appendToStream(
    'thing-1',
    [
      { type: 'Noted', data: { note: 'legacy', importId: 'old' } },
      { type: 'Noted', data: { note: 'from a', importId: 'a', staged: true } },
      { type: 'Noted', data: { note: 'from b', importId: 'b', staged: true } },
    ],
    'no_stream',
  );
  const read = await store.readStream('thing-1');
  return read.status === 'found' ? read.events : [];
}

const notes = (events: readonly RecordedEvent[]): unknown[] => events.map((event) => (event.data as { note: string }).note);

function commit(store: EventStore, importId: string): Promise<unknown> {
  return commitImport(store, 'Committed', { importId, firstPosition: 1, lastPosition: 3 }, {});
}

describe('ImportCommits', () => {
  it('counts unstaged events, and staged ones once their import is committed', async () => {
    const store = new MemoryEventStore();
    const events = await streamOfThree(store);
    const commits = new ImportCommits(store);
    await commit(store, 'a');
    expect(notes(await commits.counted(events))).toEqual(['legacy', 'from a']);
    await commit(store, 'b');
    expect(notes(await commits.counted(events))).toEqual(['legacy', 'from a', 'from b']);
  });

  it('keeps, for one run, what it found not committed; the next run asks again', async () => {
    const store = new MemoryEventStore();
    const events = await streamOfThree(store);
    const commits = new ImportCommits(store);
    const run = commits.countedForOneRun();
    expect(notes(await run(events))).toEqual(['legacy']);
    await commit(store, 'a');
    expect(notes(await run(events))).toEqual(['legacy']);
    expect(notes(await commits.countedForOneRun()(events))).toEqual(['legacy', 'from a']);
  });

  it('refuses a second commit of one import', async () => {
    const store = new MemoryEventStore();
    await commit(store, 'a');
    await expect(commit(store, 'a')).rejects.toThrow(/expected revision no_stream/);
  });

  it('folds the counted events, and still expects the stream\'s real last revision', async () => {
    const store = new MemoryEventStore();
    await streamOfThree(store);
    const count: Decider<never, { type: string; data: object }, number> = { initialState: 0, decide: () => [], evolve: (state) => state + 1 };
    expect(await new AggregateCommandRunner({ store }).load('thing-1', count, { counted: new ImportCommits(store).counted })).toEqual({ state: 1, revision: 2 });
  });
});
