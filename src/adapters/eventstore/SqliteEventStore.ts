/**
 * The embedded event store, the default: one SQLite file in WAL mode.
 *
 * Why `node:sqlite` (DatabaseSync) and not better-sqlite3: it ships inside Node.js 24, so there is no
 * native addon to download or compile on install, no prebuilt binary to match to the Node ABI, and
 * nothing extra to audit; its synchronous API is the same model as better-sqlite3's.
 *
 * Durability: `synchronous = FULL` makes each COMMIT fsync the WAL before it returns, and an append's
 * promise resolves only after the COMMIT that contains it. Group commit: appends are queued and the
 * queue is flushed on the next turn of the event loop in one transaction, so every append issued
 * while the previous batch was being written shares one fsync (see SqliteAppendBatch).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../domain/Clock.ts';
import { systemClock } from '../../domain/Clock.ts';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
} from './EventStore.ts';
import { recordedMetadata, WrongExpectedVersion } from './EventStore.ts';
import { LogHead } from './LogHead.ts';
import { createPagedSubscription } from './PagedSubscription.ts';
import type { AppendOutcome, EventRow, PendingAppend } from './SqliteAppendBatch.ts';
import { SqliteAppendBatch } from './SqliteAppendBatch.ts';
import { SqliteEventReader } from './SqliteEventReader.ts';
import { SqliteStreamTail } from './SqliteStreamTail.ts';
import { configureConnection, createSchema } from './SqliteSchema.ts';

export interface SqliteEventStoreOptions {
  readonly clock?: Clock;
  /** How many events a subscription reads from the database at a time. */
  readonly subscriptionPageSize?: number;
  /** Told the size of every page a subscription reads: for metrics, and to observe back-pressure. */
  readonly onSubscriptionPageRead?: (events: number) => void;
  /** How many events accumulate before they are merged into the on-disk stream index (SqliteSchema). */
  readonly streamIndexMergeThreshold?: number;
}

interface QueuedAppend {
  readonly append: PendingAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: Error) => void;
}

export class SqliteEventStore implements EventStore {
  readonly #writeDb: DatabaseSync;
  readonly #readDb: DatabaseSync;
  readonly #batch: SqliteAppendBatch;
  readonly #reader: SqliteEventReader;
  readonly #head: LogHead;
  readonly #clock: Clock;
  readonly #pageSize: number;
  readonly #onPageRead: ((events: number) => void) | undefined;
  #queue: QueuedAppend[] = [];
  #flushScheduled = false;
  #closed = false;

  private constructor(writeDb: DatabaseSync, readDb: DatabaseSync, options: SqliteEventStoreOptions) {
    this.#writeDb = writeDb;
    this.#readDb = readDb;
    const tail = SqliteStreamTail.load(writeDb);
    this.#batch = new SqliteAppendBatch(writeDb, tail, options.streamIndexMergeThreshold ?? 4096);
    this.#reader = new SqliteEventReader(readDb, tail);
    this.#head = new LogHead(this.#batch.headPosition);
    this.#clock = options.clock ?? systemClock;
    this.#pageSize = options.subscriptionPageSize ?? 1000;
    this.#onPageRead = options.onSubscriptionPageRead;
  }

  /** Opens (creating it and its directory if needed) the event log in `file`. */
  static open(file: string, options: SqliteEventStoreOptions = {}): Promise<SqliteEventStore> {
    mkdirSync(dirname(file), { recursive: true });
    const writeDb = new DatabaseSync(file);
    configureConnection(writeDb);
    createSchema(writeDb);
    const readDb = new DatabaseSync(file);
    configureConnection(readDb);
    return Promise.resolve(new SqliteEventStore(writeDb, readDb, options));
  }

  appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    let rows: EventRow[];
    try {
      rows = events.map(toRow);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ append: { stream, expected, rows }, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    return Promise.resolve(this.#reader.readStream(stream, options));
  }

  readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    return Promise.resolve(
      this.#reader.readLog(options.after ?? 0, this.#head.position, options.maxCount ?? -1, options.filter),
    );
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    if (this.#closed) throw new Error('event store is closed');
    return createPagedSubscription({
      after: options.after ?? 0,
      filter: options.filter,
      pageSize: this.#pageSize,
      head: this.#head,
      onPageRead: this.#onPageRead,
      readPage: (after, upTo, maxCount, filter) => (this.#closed ? [] : this.#reader.readLog(after, upTo, maxCount, filter)),
    });
  }

  headPosition(): Promise<number> {
    return Promise.resolve(this.#head.position);
  }

  /** Commits what is queued, then closes the database; later calls fail. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#flush();
    this.#closed = true;
    this.#head.close();
    this.#readDb.close();
    this.#writeDb.close();
    return Promise.resolve();
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queued = this.#queue;
    if (queued.length === 0) return;
    this.#queue = [];
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.#batch.commit(
        queued.map((entry) => entry.append),
        this.#clock.now().getTime(),
      );
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const entry of queued) entry.reject(failure);
      return;
    }
    this.#head.advance(this.#batch.headPosition);
    queued.forEach((entry, index) => {
      const outcome = outcomes[index];
      if (outcome) settle(entry, outcome, this.#batch.headPosition);
      else entry.reject(new Error('append was not committed'));
    });
  }
}

function settle(entry: QueuedAppend, outcome: AppendOutcome, headPosition: number): void {
  const { stream, expected, rows } = entry.append;
  if (!outcome.ok) {
    entry.reject(new WrongExpectedVersion(stream, expected, outcome.actual === -1 ? 'no_stream' : outcome.actual));
  } else {
    // An empty append writes nothing; like EventStoreDB it answers with the stream's state and the head.
    const position = rows.length === 0 ? headPosition : outcome.lastPosition;
    entry.resolve({ nextExpectedRevision: outcome.lastRevision, position });
  }
}

/** Serialises an event; throws (so that the append is rejected before the batch) if it cannot be stored. */
function toRow(event: NewEvent): EventRow {
  const metadata = recordedMetadata(event.metadata);
  const data = JSON.stringify(event.data) as string | undefined;
  if (data === undefined) throw new TypeError(`event ${event.type}: data is not JSON`);
  if (typeof event.type !== 'string' || event.type === '') throw new TypeError('event type must be a non-empty string');
  return [
    event.id ?? randomUUID(),
    event.type,
    data,
    metadata.correlationId ?? null,
    metadata.causationId ?? null,
    metadata.actor ?? null,
    metadata.schemaVersion,
  ];
}
