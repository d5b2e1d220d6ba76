/**
 * The read side of the SQLite event log: streams, the global log and subscription pages, all through
 * prepared statements on a read connection of its own (WAL: readers never block the writer).
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { JsonValue } from '../../domain/Json.ts';
import type { EventFilter, EventMetadata, ReadStreamOptions, ReadStreamResult, RecordedEvent } from './EventStore.ts';
import { eventColumns } from './SqliteSchema.ts';
import type { SqliteStreamTail } from './SqliteStreamTail.ts';

export class SqliteEventReader {
  readonly #db: DatabaseSync;
  readonly #tail: SqliteStreamTail;
  readonly #forwards: StatementSync;
  readonly #backwards: StatementSync;
  readonly #atPosition: StatementSync;
  readonly #indexedRevision: StatementSync;
  /** readAll statements by filter shape (number of prefixes and of types). */
  readonly #logStatements = new Map<string, StatementSync>();

  /** `tail` indexes the acknowledged events not yet merged into `stream_index`, as this thread knows them. */
  constructor(db: DatabaseSync, tail: SqliteStreamTail) {
    this.#db = db;
    this.#tail = tail;
    const indexed = `SELECT ${eventColumns.replace(/\w+/g, 'e.$&')} FROM stream_index i JOIN events e ON e.position = i.position`;
    // `i.position <= ?`: only what the tail says is merged. The writer thread may have committed a
    // merge whose reply has not arrived yet; those events are still read from the tail, once.
    this.#forwards = this.#prepare(`${indexed} WHERE i.stream = ? AND i.revision >= ? AND i.position <= ? ORDER BY i.revision LIMIT ?`);
    this.#backwards = this.#prepare(`${indexed} WHERE i.stream = ? AND i.revision <= ? AND i.position <= ? ORDER BY i.revision DESC LIMIT ?`);
    this.#atPosition = this.#prepare(`SELECT ${eventColumns} FROM events WHERE position = ?`);
    this.#indexedRevision = db.prepare('SELECT max(revision) AS revision FROM stream_index WHERE stream = ? AND position <= ?');
  }

  /** A stream is its indexed events followed by its events in the tail (all later revisions). */
  readStream(stream: string, options: ReadStreamOptions): ReadStreamResult {
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const tail = this.#tail.entries(stream);
    const events: RecordedEvent[] = [];
    if (options.direction === 'backwards') {
      const from = options.fromRevision ?? Number.MAX_SAFE_INTEGER;
      for (let index = tail.length - 1; index >= 0 && events.length < maxCount; index--) {
        const entry = tail[index];
        if (entry && entry.revision <= from) events.push(this.#eventAt(entry.position));
      }
      if (events.length < maxCount) this.#pushRows(events, this.#backwards.all(stream, from, this.#tail.indexedThrough, maxCount - events.length));
    } else {
      const from = options.fromRevision ?? 0;
      this.#pushRows(events, this.#forwards.all(stream, from, this.#tail.indexedThrough, maxCount));
      for (const entry of tail) {
        if (events.length >= maxCount) break;
        if (entry.revision >= from) events.push(this.#eventAt(entry.position));
      }
    }
    if (events.length === 0 && tail.length === 0 && this.#indexedRevision.get(stream, this.#tail.indexedThrough)?.['revision'] === null) {
      return { status: 'stream_not_found' };
    }
    return { status: 'found', events };
  }

  #pushRows(events: RecordedEvent[], rows: readonly Record<string, SQLOutputValue>[]): void {
    for (const row of rows) events.push(toRecordedEvent(row, false));
  }

  #eventAt(position: number): RecordedEvent {
    const row = this.#atPosition.get(position);
    if (!row) throw new Error(`event store: no event at position ${position}, which the stream index names`);
    return toRecordedEvent(row, false);
  }

  /** Matching events with `after < position <= upTo`, in position order, at most `maxCount`; `withDataJson`: see ReadAllOptions. */
  readLog(after: number, upTo: number, maxCount: number, filter: EventFilter | undefined, withDataJson: boolean): RecordedEvent[] {
    const prefixes = filter?.streamPrefixes ?? [];
    const types = filter?.eventTypes ?? [];
    // An empty list of allowed prefixes or types matches nothing.
    if ((filter?.streamPrefixes && prefixes.length === 0) || (filter?.eventTypes && types.length === 0)) return [];
    const rows = this.#logStatement(prefixes.length, types.length).all(
      after,
      upTo,
      ...prefixes.map(globPrefix),
      ...types,
      maxCount,
    );
    return rows.map((row) => toRecordedEvent(row, withDataJson));
  }

  #logStatement(prefixCount: number, typeCount: number): StatementSync {
    const key = `${prefixCount}/${typeCount}`;
    let statement = this.#logStatements.get(key);
    if (!statement) {
      const conditions = ['position > ?', 'position <= ?'];
      if (prefixCount > 0) conditions.push(`(${Array.from({ length: prefixCount }, () => 'stream GLOB ?').join(' OR ')})`);
      if (typeCount > 0) conditions.push(`type IN (${Array.from({ length: typeCount }, () => '?').join(', ')})`);
      statement = this.#prepare(`SELECT ${eventColumns} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`);
      this.#logStatements.set(key, statement);
    }
    return statement;
  }

  #prepare(sql: string): StatementSync {
    const statement = this.#db.prepare(sql);
    // Rows as arrays: no per-row object with column-name keys to build and then take apart.
    statement.setReturnArrays(true);
    return statement;
  }
}

/** A GLOB pattern matching every string that starts with `prefix` (`*`, `?` and `[` escaped). */
function globPrefix(prefix: string): string {
  return `${prefix.replace(/[*?[]/g, (special) => `[${special}]`)}*`;
}

function toRecordedEvent(row: Record<string, SQLOutputValue>, withDataJson: boolean): RecordedEvent {
  // setReturnArrays(true) makes every row an array in eventColumns order; node's types do not follow.
  const [position, stream, revision, id, type, data, correlationId, causationId, actor, schemaVersion, recordedAt] =
    row as unknown as readonly SQLOutputValue[];
  const metadata: { -readonly [K in keyof EventMetadata]: EventMetadata[K] } = { schemaVersion: Number(schemaVersion) };
  if (typeof correlationId === 'string') metadata.correlationId = correlationId;
  if (typeof causationId === 'string') metadata.causationId = causationId;
  if (typeof actor === 'string') metadata.actor = actor;
  const dataJson = String(data);
  const event: { -readonly [K in keyof RecordedEvent]: RecordedEvent[K] } = {
    id: String(id),
    type: String(type),
    data: JSON.parse(dataJson) as JsonValue,
    metadata,
    stream: String(stream),
    revision: Number(revision),
    position: Number(position),
    recordedAt: new Date(Number(recordedAt)),
  };
  if (withDataJson) event.dataJson = dataJson;
  return event;
}
