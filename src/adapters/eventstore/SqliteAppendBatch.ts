/**
 * Commits a batch of appends in one SQLite transaction: one fsync for all of them (group commit).
 *
 * Each append is checked against its own expected revision before any of its events is written, so
 * one append that fails its check (a concurrent writer got there first) fails alone and the others in
 * the batch commit. Appends to the same stream within a batch see each other in queue order, exactly
 * as if they had been committed one by one.
 *
 * This connection is the log's only writer, so it keeps the next position and the last revision of
 * recently written streams in memory instead of asking the database for each append. Event rows are
 * validated before they get here (see SqliteEventStore), so the inserts themselves cannot break a
 * constraint; what can still fail is the database (disk full, I/O error), and then the transaction is
 * rolled back whole: nothing of the batch is written and every append in it is rejected.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ExpectedRevision } from './EventStore.ts';
import { revisionMatches } from './EventStore.ts';

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

/** How many streams' last revisions stay cached; older ones are read again from the index. */
const cachedStreams = 100_000;

export class SqliteAppendBatch {
  readonly #db: DatabaseSync;
  readonly #lastRevision: StatementSync;
  readonly #insert: StatementSync;
  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #revisions = new Map<string, number>();
  #position: number;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#lastRevision = db.prepare('SELECT max(revision) AS revision FROM events WHERE stream = ?');
    this.#insert = db.prepare(
      `INSERT INTO events (position, stream, revision, id, type, data, correlation_id, causation_id, actor, schema_version, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#position = this.#readHeadPosition();
  }

  /** The position of the last committed event (0 when the log is empty). */
  get headPosition(): number {
    return this.#position;
  }

  /** Writes the batch and commits it; returns once the commit is durable (one outcome per append). */
  commit(appends: readonly PendingAppend[], recordedAt: number): AppendOutcome[] {
    const outcomes: AppendOutcome[] = [];
    const touched = new Map<string, number>();
    let position = this.#position;
    this.#begin.run();
    try {
      for (const append of appends) {
        let last = touched.get(append.stream) ?? this.#cachedRevision(append.stream);
        if (!revisionMatches(append.expected, last)) {
          outcomes.push({ ok: false, actual: last });
          continue;
        }
        for (const [id, type, data, correlationId, causationId, actor, schemaVersion] of append.rows) {
          position++;
          last++;
          this.#insert.run(position, append.stream, last, id, type, data, correlationId, causationId, actor, schemaVersion, recordedAt);
        }
        touched.set(append.stream, last);
        outcomes.push({ ok: true, lastRevision: last, lastPosition: position });
      }
      this.#commit.run();
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
    this.#position = position;
    for (const [stream, revision] of touched) this.#remember(stream, revision);
    return outcomes;
  }

  #cachedRevision(stream: string): number {
    const cached = this.#revisions.get(stream);
    if (cached !== undefined) return cached;
    const revision = this.#lastRevision.get(stream)?.['revision'];
    return revision === null || revision === undefined ? -1 : Number(revision);
  }

  #remember(stream: string, revision: number): void {
    // A Map iterates in insertion order: deleting and setting again makes it least-recently-used first.
    this.#revisions.delete(stream);
    this.#revisions.set(stream, revision);
    if (this.#revisions.size > cachedStreams) {
      const oldest = this.#revisions.keys().next();
      if (!oldest.done) this.#revisions.delete(oldest.value);
    }
  }

  #readHeadPosition(): number {
    const row = this.#db.prepare('SELECT coalesce(max(position), 0) AS position FROM events').get();
    return Number(row?.['position'] ?? 0);
  }
}
