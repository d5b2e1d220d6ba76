/**
 * Commits a batch of appends in one SQLite transaction: one fsync for all of them (group commit).
 *
 * Each append is checked against its own expected revision before any of its events is written, so
 * one append that fails its check (a concurrent writer got there first) fails alone and the others in
 * the batch commit. Appends to the same stream within a batch see each other in queue order, exactly
 * as if they had been committed one by one.
 *
 * This connection is the log's only writer, so it keeps the next position in memory, and finds a
 * stream's last revision in the in-memory tail index before asking `stream_index`. Event rows are
 * validated before they get here (see SqliteEventStore), so the inserts themselves cannot break a
 * constraint; what can still fail is the database (disk full, I/O error), and then the transaction is
 * rolled back whole: nothing of the batch is written and every append in it is rejected.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ExpectedRevision } from './EventStore.ts';
import { revisionMatches } from './EventStore.ts';
import type { SqliteStreamTail } from './SqliteStreamTail.ts';

/** An event ready to be written: data already serialised, metadata spread into columns. */
export type EventRow = readonly [
  id: string,
  type: string,
  data: string,
  correlationId: string | null,
  causationId: string | null,
  actor: string | null,
  schemaVersion: number,
];

export interface PendingAppend {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly rows: readonly EventRow[];
}

export type AppendOutcome =
  | { readonly ok: true; readonly lastRevision: number; readonly lastPosition: number }
  | { readonly ok: false; readonly actual: number };

export interface BatchResult {
  /** One per append, in order. */
  readonly outcomes: readonly AppendOutcome[];
  /** Set when this commit merged the tail into `stream_index`: the position it is complete through. */
  readonly mergedThrough: number | undefined;
}

export class SqliteAppendBatch {
  readonly #db: DatabaseSync;
  readonly #tail: SqliteStreamTail;
  readonly #mergeThreshold: number;
  readonly #indexedRevision: StatementSync;
  readonly #insert: StatementSync;
  readonly #merge: StatementSync;
  readonly #recordMerge: StatementSync;
  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #lastPosition: StatementSync;
  #position: number;

  /**
   * `tail` is the in-memory index of the events not yet merged into `stream_index`; once it holds
   * `mergeThreshold` events, the next commit also merges them.
   */
  constructor(db: DatabaseSync, tail: SqliteStreamTail, mergeThreshold: number) {
    this.#db = db;
    this.#tail = tail;
    this.#mergeThreshold = mergeThreshold;
    this.#indexedRevision = db.prepare('SELECT max(revision) AS revision FROM stream_index WHERE stream = ?');
    this.#insert = db.prepare(
      `INSERT INTO events (position, stream, revision, id, type, data, correlation_id, causation_id, actor, schema_version, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#merge = db.prepare('INSERT INTO stream_index (stream, revision, position) SELECT stream, revision, position FROM events WHERE position > ?');
    this.#recordMerge = db.prepare('UPDATE stream_index_state SET indexed_through = ? WHERE id = 1');
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#lastPosition = db.prepare('SELECT coalesce(max(position), 0) AS position FROM events');
    this.#position = this.#readLastPosition();
  }

  /** The position of the last committed event (0 when the log is empty). */
  get headPosition(): number {
    return this.#position;
  }

  /** Writes the batch and commits it; returns once the commit is durable. */
  commit(appends: readonly PendingAppend[], recordedAt: number): BatchResult {
    const outcomes: AppendOutcome[] = [];
    const revisions = new Map<string, number>();
    const mergeThrough = this.#tail.size >= this.#mergeThreshold ? this.#position : undefined;
    let position = this.#position;
    this.#begin.run();
    try {
      // BEGIN IMMEDIATE holds the database's write lock, so this check cannot race: if the log grew
      // behind our back, another process is writing to the same file, and our cached positions and
      // revisions are wrong. Refuse rather than write a second revision N of some stream.
      if (this.#readLastPosition() !== this.#position) {
        throw new Error('another process is writing to this event store; one data directory serves one process');
      }
      if (mergeThrough !== undefined) {
        this.#merge.run(this.#tail.indexedThrough);
        this.#recordMerge.run(mergeThrough);
      }
      for (const append of appends) {
        let last = revisions.get(append.stream) ?? this.#lastRevision(append.stream);
        if (!revisionMatches(append.expected, last)) {
          outcomes.push({ ok: false, actual: last });
          continue;
        }
        for (const [id, type, data, correlationId, causationId, actor, schemaVersion] of append.rows) {
          position++;
          last++;
          this.#insert.run(position, append.stream, last, id, type, data, correlationId, causationId, actor, schemaVersion, recordedAt);
        }
        revisions.set(append.stream, last);
        outcomes.push({ ok: true, lastRevision: last, lastPosition: position });
      }
      this.#commit.run();
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
    this.#position = position;
    const result = { outcomes, mergedThrough: mergeThrough };
    this.#tail.apply(appends, result);
    return result;
  }

  #readLastPosition(): number {
    return Number(this.#lastPosition.get()?.['position'] ?? 0);
  }

  /** The stream's last revision (-1 when it does not exist): from the tail, else from the index. */
  #lastRevision(stream: string): number {
    const inTail = this.#tail.lastRevision(stream);
    if (inTail !== undefined) return inTail;
    const revision = this.#indexedRevision.get(stream)?.['revision'];
    return revision === null || revision === undefined ? -1 : Number(revision);
  }
}
