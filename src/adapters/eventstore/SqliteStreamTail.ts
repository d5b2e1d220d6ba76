/**
 * The stream index of the log's tail, in memory: for each stream, the (revision, position) of its
 * events recorded after the last merge into `stream_index` (see SqliteSchema). It is rebuilt from the
 * tail rows when the store opens, updated after every commit, and emptied by each merge.
 *
 * Within a stream, revisions in the tail are all greater than those in `stream_index`, so a stream is
 * read as its indexed part followed by its tail part.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { BatchResult, PendingAppend } from './SqliteAppendBatch.ts';

export interface TailEntry {
  readonly revision: number;
  readonly position: number;
}

export class SqliteStreamTail {
  readonly #streams = new Map<string, TailEntry[]>();
  #indexedThrough: number;
  #size = 0;

  private constructor(indexedThrough: number) {
    this.#indexedThrough = indexedThrough;
  }

  static load(db: DatabaseSync): SqliteStreamTail {
    const state = db.prepare('SELECT indexed_through FROM stream_index_state WHERE id = 1').get();
    const tail = new SqliteStreamTail(Number(state?.['indexed_through'] ?? 0));
    const rows = db.prepare('SELECT stream, revision, position FROM events WHERE position > ? ORDER BY position').all(tail.indexedThrough);
    for (const row of rows) tail.add(String(row['stream']), Number(row['revision']), Number(row['position']));
    return tail;
  }

  /** The position up to which `stream_index` is complete. */
  get indexedThrough(): number {
    return this.#indexedThrough;
  }

  /** How many events the tail holds. */
  get size(): number {
    return this.#size;
  }

  add(stream: string, revision: number, position: number): void {
    const entries = this.#streams.get(stream);
    if (entries) entries.push({ revision, position });
    else this.#streams.set(stream, [{ revision, position }]);
    this.#size++;
  }

  /** The stream's entries in the tail, by increasing revision (empty when it has none). */
  entries(stream: string): readonly TailEntry[] {
    return this.#streams.get(stream) ?? [];
  }

  /** The stream's last revision in the tail, or undefined when it has none there. */
  lastRevision(stream: string): number | undefined {
    return this.#streams.get(stream)?.at(-1)?.revision;
  }

  /**
   * Follows a committed batch: the merge it made, then the events of its successful appends (an
   * append of n events ending at revision r and position p holds revisions r-n+1..r at p-n+1..p).
   */
  apply(appends: readonly PendingAppend[], result: BatchResult): void {
    if (result.mergedThrough !== undefined) this.merged(result.mergedThrough);
    appends.forEach((append, index) => {
      const outcome = result.outcomes[index];
      if (!outcome?.ok) return;
      const count = append.rows.length;
      for (let offset = count - 1; offset >= 0; offset--) {
        this.add(append.stream, outcome.lastRevision - offset, outcome.lastPosition - offset);
      }
    });
  }

  /** Forgets everything: `stream_index` is now complete through `position`. */
  merged(position: number): void {
    this.#streams.clear();
    this.#size = 0;
    this.#indexedThrough = position;
  }
}
