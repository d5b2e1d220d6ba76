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
  /** The most events one read of the log takes (a read back starts with fewer). */
  readonly pageSize: number;
}

/** An import this process runs, as it tells the views that keep its staged events. */
export interface ImportRun {
  /** Its run appended `count` more staged events. */
  staged(count: number): void;
  /** Its commit is appended: the views keep its events until they fold them at the commit. */
  committed(): void;
  /** It ends without a commit: the views drop what they kept of it. */
  abandoned(): void;
}

interface RunState {
  staged: number;
  ended: boolean;
}

/**
 * The imports this process is running on one store. A view following the log (`committedEvents`) keeps
 * their staged events as the feed hands them over, and folds those at the commit instead of reading
 * 100,000 events back from the log; an import of another process on the same log, or one whose staged
 * events the view did not all see, is read back as before. What a view keeps of an import lasts from
 * its first staged event to its commit, or to its end without one: nothing stays for an import that
 * never commits.
 */
export class ImportsUnderWay {
  static readonly #byStore = new WeakMap<EventStore, ImportsUnderWay>();

  /** The imports under way on this store, shared by the process's importers and views. */
  static of(store: EventStore): ImportsUnderWay {
    let imports = ImportsUnderWay.#byStore.get(store);
    if (!imports) {
      imports = new ImportsUnderWay();
      ImportsUnderWay.#byStore.set(store, imports);
    }
    return imports;
  }

  readonly #runs = new Map<string, RunState>();
  /**
   * What each view keeps: per import, the staged events it has seen, in log order. Held weakly: a view
   * opened again after its feed stopped leaves its old share to the collector.
   */
  readonly #kept = new Set<WeakRef<Map<string, RecordedEvent[]>>>();

  /** An import starts staging events; call before its first append. */
  begin(importId: string): ImportRun {
    // A committed run stays known until the next one begins, so that a view folding the log behind the
    // importer still finds its events at the commit; older ones are forgotten.
    for (const [id, run] of this.#runs) if (run.ended) this.#forget(id);
    const run: RunState = { staged: 0, ended: false };
    this.#runs.set(importId, run);
    return {
      staged: (count) => {
        run.staged += count;
      },
      committed: () => {
        run.ended = true;
      },
      abandoned: () => {
        if (this.#runs.get(importId) === run) this.#forget(importId);
      },
    };
  }

  /** A view's share: the staged events it keeps, per import. */
  keeper(): Map<string, RecordedEvent[]> {
    const kept = new Map<string, RecordedEvent[]>();
    this.#kept.add(new WeakRef(kept));
    return kept;
  }

  /** Whether a staged event of this import is to be kept. */
  isStaging(importId: string): boolean {
    return this.#runs.get(importId)?.ended === false;
  }

  /**
   * The staged events of a committed import that the view kept, or undefined when it did not see them
   * all (it opened in the middle of the import, or the import is another process's).
   */
  take(kept: Map<string, RecordedEvent[]>, commit: ImportCommit): RecordedEvent[] | undefined {
    const events = kept.get(commit.importId);
    kept.delete(commit.importId);
    const run = this.#runs.get(commit.importId);
    if (events === undefined || run === undefined) return undefined;
    const between = events.filter((recorded) => recorded.position >= commit.firstPosition && recorded.position <= commit.lastPosition);
    return between.length === run.staged ? between : undefined;
  }

  #forget(importId: string): void {
    this.#runs.delete(importId);
    for (const reference of this.#kept) {
      const kept = reference.deref();
      if (kept === undefined) this.#kept.delete(reference);
      else kept.delete(importId);
    }
  }
}

/**
 * A LiveView's `expand` for streams that imports stage events on: an unstaged event counts where it
 * stands, a staged one at its import's commit. The staged events of an import this process runs are
 * kept as the feed hands them over (ImportsUnderWay); any other import's are read back from the log
 * between the positions the commit names, so that nothing is held in memory for an import that never
 * commits. The view's filter takes the staged streams and the import streams.
 */
export function committedEvents(store: EventStore, options: CommittedEventsOptions): (events: readonly RecordedEvent[]) => Promise<readonly RecordedEvent[]> {
  const underWay = ImportsUnderWay.of(store);
  const kept = underWay.keeper();
  return async (events) => {
    const counted: RecordedEvent[] = [];
    for (const recorded of events) {
      if (recorded.stream.startsWith(importStreamPrefix)) {
        if (recorded.type !== options.commitType) continue;
        const commit = recorded.data as unknown as ImportCommit;
        // One push per event: a spread of 100,000 arguments comes near the stack's limit.
        for (const staged of underWay.take(kept, commit) ?? (await stagedEventsOf(store, commit, options))) counted.push(staged);
        continue;
      }
      const importId = stagedImportOf(recorded.data as object);
      if (importId === undefined) counted.push(recorded);
      else if (underWay.isStaging(importId)) {
        const staged = kept.get(importId);
        if (staged === undefined) kept.set(importId, [recorded]);
        else staged.push(recorded);
      }
    }
    return counted;
  };
}

/** The first page of a read back; each next one is twice as long, up to `pageSize`. */
const FIRST_READ_BACK_PAGE = 32;

/**
 * The staged events of a committed import, re-read from the log between the positions it names.
 * A read cannot stop at a position, only at a count, and the log goes on past the import: pages start
 * short and double, so that what is read past the import's end stays within the last page, about the
 * import's own size, instead of `pageSize` events of the log's tail (each of them sent over the network
 * by EventStoreDB) for every one-row import a view meets.
 */
async function stagedEventsOf(store: EventStore, commit: ImportCommit, options: CommittedEventsOptions): Promise<RecordedEvent[]> {
  const staged: RecordedEvent[] = [];
  let position = commit.firstPosition - 1;
  let pageSize = Math.min(FIRST_READ_BACK_PAGE, options.pageSize);
  while (position < commit.lastPosition) {
    const page = await store.readAll({ after: position, maxCount: pageSize, filter: { streamPrefixes: options.streamPrefixes } });
    for (const recorded of page) {
      position = recorded.position;
      if (position > commit.lastPosition) return staged;
      if (stagedImportOf(recorded.data as object) === commit.importId) staged.push(recorded);
    }
    if (page.length < pageSize) return staged;
    pageSize = Math.min(2 * pageSize, options.pageSize);
  }
  return staged;
}
