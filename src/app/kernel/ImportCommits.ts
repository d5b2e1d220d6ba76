/**
 * Reading streams that imports stage events on (StagedImports.ts): a staged event counts only once its
 * import's commit is in the log. A stream read on its own (a decider's fold, a lookup) keeps the
 * staged events of committed imports only. A committed import stays committed, so that answer is
 * kept; an import not committed yet is asked about again next time.
 */
import type { ImportCommit } from '../../domain/imports/StagedImports.ts';
import { importStream, importStreamPrefix, stagedImportOf } from '../../domain/imports/StagedImports.ts';
import type { CountedEvents } from '../../adapters/eventstore/EventStore.ts';
import type { AppendResult, EventMetadata, EventStore, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';

export class ImportCommits {
  readonly #store: EventStore;
  readonly #committed = new Set<string>();

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** Whether the import's commit is in the log: its stream holds nothing else. */
  async isCommitted(importId: string): Promise<boolean> {
    if (this.#committed.has(importId)) return true;
    const result = await this.#store.readStream(importStream(importId), { maxCount: 1 });
    const committed = result.status === 'found' && result.events.length > 0;
    if (committed) this.#committed.add(importId);
    return committed;
  }

  /** The events of a stream that count, in stream order. */
  readonly counted: CountedEvents = (events) => this.#counted(events, new Set());

  /**
   * `counted` for one run of many commands (an import's rows), which also keeps what it found not
   * committed: re-running a killed import then reads the dead import's stream once, not once per row.
   * Should that import commit during the run after all (another process), the run's events follow
   * its events on each stream, so they count after them.
   */
  countedForOneRun(): CountedEvents {
    const notCommitted = new Set<string>();
    return (events) => this.#counted(events, notCommitted);
  }

  async #counted(events: readonly RecordedEvent[], notCommitted: Set<string>): Promise<readonly RecordedEvent[]> {
    const counted: RecordedEvent[] = [];
    for (const recorded of events) {
      const importId = stagedImportOf(recorded.data as object);
      if (importId === undefined) {
        counted.push(recorded);
      } else if (!notCommitted.has(importId)) {
        if (await this.isCommitted(importId)) counted.push(recorded);
        else notCommitted.add(importId);
      }
    }
    return counted;
  }
}

/** Commits an import's staged events: one event, so that they all count from the same moment. */
export function commitImport(store: EventStore, type: string, commit: ImportCommit, metadata: Partial<EventMetadata>): Promise<AppendResult> {
  return store.appendToStream(importStream(commit.importId), [{ type, data: { ...commit }, metadata }], 'no_stream');
}

export interface CommittedEventsOptions {
  /** The streams imports stage events on (and unstaged events of theirs too). */
  readonly streamPrefixes: readonly string[];
  /** The type of the commit event, on the import's stream. */
  readonly commitType: string;
  /** How many events one read of the log takes. */
  readonly pageSize: number;
}

/**
 * A LiveView's `expand` for streams that imports stage events on: an unstaged event counts where it
 * stands, a staged one at its import's commit, read back from the log between the positions the commit
 * names, so that nothing is held in memory for an import that never commits. The view's filter takes
 * the staged streams and the import streams.
 */
export function committedEvents(store: EventStore, options: CommittedEventsOptions): (events: readonly RecordedEvent[]) => Promise<readonly RecordedEvent[]> {
  return async (events) => {
    const counted: RecordedEvent[] = [];
    for (const recorded of events) {
      if (recorded.stream.startsWith(importStreamPrefix)) {
        if (recorded.type === options.commitType) counted.push(...(await stagedEventsOf(store, recorded.data as unknown as ImportCommit, options)));
      } else if (stagedImportOf(recorded.data as object) === undefined) {
        counted.push(recorded);
      }
    }
    return counted;
  };
}

/** The staged events of a committed import, re-read from the log between the positions it names. */
async function stagedEventsOf(store: EventStore, commit: ImportCommit, options: CommittedEventsOptions): Promise<RecordedEvent[]> {
  const staged: RecordedEvent[] = [];
  let position = commit.firstPosition - 1;
  while (position < commit.lastPosition) {
    const page = await store.readAll({ after: position, maxCount: options.pageSize, filter: { streamPrefixes: options.streamPrefixes } });
    for (const recorded of page) {
      position = recorded.position;
      if (position > commit.lastPosition) return staged;
      if (stagedImportOf(recorded.data as object) === commit.importId) staged.push(recorded);
    }
    if (page.length < options.pageSize) return staged;
  }
  return staged;
}
