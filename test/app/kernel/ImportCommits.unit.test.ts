import { describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { commitImport, committedEvents, ImportCommits, ImportsUnderWay } from '../../../src/app/kernel/ImportCommits.ts';
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

/**
 * Stages one event per thing on `thing-<n>` for the import, one append each as an import's rows; returns
 * them as a view is handed them: copies of the stored objects, as a feed reading the log makes its own
 * (the memory store hands out its own objects, which would make a read-back look like kept events).
 */
async function stage(store: EventStore, importId: string, things: readonly number[]): Promise<RecordedEvent[]> {
  const staged: RecordedEvent[] = [];
  for (const thing of things) {
    const { position } = await store.appendToStream(`thing-${thing}`, [{ type: 'Noted', data: { note: `thing ${thing}`, importId, staged: true } }], 'any');
    const [recorded] = await store.readAll({ after: position - 1, maxCount: 1 });
    if (recorded) staged.push({ ...recorded });
  }
  return staged;
}

async function commitOf(store: EventStore, importId: string, staged: readonly RecordedEvent[]): Promise<RecordedEvent> {
  const { position } = await commitImport(store, 'Committed', { importId, firstPosition: staged[0]?.position ?? 0, lastPosition: staged.at(-1)?.position ?? 0 }, {});
  const [recorded] = await store.readAll({ after: position - 1, maxCount: 1 });
  if (!recorded) throw new Error('the commit is not in the log');
  return recorded;
}

const expandOptions = { streamPrefixes: ['thing-'], commitType: 'Committed', pageSize: 2 };

describe('committedEvents', () => {
  it('folds at its commit the very events of an import this process runs, as the view was handed them', async () => {
    const store = new MemoryEventStore();
    const expand = committedEvents(store, expandOptions);
    const run = ImportsUnderWay.of(store).begin('a');
    const staged = await stage(store, 'a', [1, 2, 3]);
    run.staged(3);
    expect(await expand(staged)).toEqual([]);
    const commit = await commitOf(store, 'a', staged);
    run.committed();
    const counted = await expand([commit]);
    expect(notes(counted)).toEqual(['thing 1', 'thing 2', 'thing 3']);
    counted.forEach((event, index) => expect(event).toBe(staged[index]));
  });

  it('reads back from the log an import of another process, and one whose events the view did not all see', async () => {
    const store = new MemoryEventStore();
    const expand = committedEvents(store, expandOptions);
    const elsewhere = await stage(store, 'elsewhere', [1, 2, 3]);
    await expand(elsewhere);
    const elsewhereCounted = await expand([await commitOf(store, 'elsewhere', elsewhere)]);
    expect(notes(elsewhereCounted)).toEqual(['thing 1', 'thing 2', 'thing 3']);
    expect(elsewhereCounted[0]).not.toBe(elsewhere[0]);

    const run = ImportsUnderWay.of(store).begin('b');
    const staged = await stage(store, 'b', [4, 5, 6]);
    run.staged(3);
    // The view opened after the first row was staged: it was handed the other two only.
    await expand(staged.slice(1));
    const counted = await expand([await commitOf(store, 'b', staged)]);
    run.committed();
    expect(notes(counted)).toEqual(['thing 4', 'thing 5', 'thing 6']);
  });

  it('forgets what it kept of an import that ends without a commit', async () => {
    const store = new MemoryEventStore();
    const expand = committedEvents(store, expandOptions);
    const run = ImportsUnderWay.of(store).begin('c');
    const staged = await stage(store, 'c', [1, 2]);
    run.staged(2);
    await expand(staged);
    run.abandoned();
    // Committed all the same (by another process running the import again with its id): read back.
    const counted = await expand([await commitOf(store, 'c', staged)]);
    expect(notes(counted)).toEqual(['thing 1', 'thing 2']);
    expect(counted[0]).not.toBe(staged[0]);
  });
});
