/**
 * The embedded event store, the default: one SQLite file in WAL mode.
 *
 * Why `node:sqlite` (DatabaseSync) and not better-sqlite3: it ships inside Node.js 24, so there is no
 * native addon to download or compile on install, no prebuilt binary to match to the Node ABI, and
 * nothing extra to audit; its synchronous API is the same model as better-sqlite3's.
 *
 * Durability: `synchronous = FULL` makes each COMMIT fsync the WAL before it returns, and an append's
 * promise resolves only after the COMMIT that contains it.
 *
 * Group commit: commits run on a writer thread (SqliteWriterWorker), one batch at a time. Appends
 * queue up here while a batch is being committed, and the whole queue goes out as the next batch, in
 * one transaction and one fsync, as soon as the writer is free. Reads run on this thread, on a
 * connection of their own, and see only acknowledged events: readAll and subscriptions stop at the
 * acknowledged head, and streams are read through the tail index that this thread keeps in step
 * with the writer's replies.
 *
 * This process is the log's only writer (SqliteProcessLock), so every event after the head found at
 * open was appended here: the store keeps the envelopes of the latest acknowledged events, built from
 * what it sent the writer and what the writer answered, until every open subscription has read them,
 * and a subscription's page that lies wholly among them is served from memory instead of being read
 * back from the file it was just written to.
 * They are the events the read would return, in the same positions, so the no-gap no-duplicate rule of
 * PagedSubscription holds unchanged.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../domain/Clock.ts';
import { systemClock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
  StoreHealth,
  SubscribeToAllOptions,
  Subscription,
} from './EventStore.ts';
import { matchesFilter, recordedMetadata, WrongExpectedVersion } from './EventStore.ts';
import { LogHead } from './LogHead.ts';
import { createPagedSubscription } from './PagedSubscription.ts';
import type { AppendOutcome, BatchResult, EventRow, PendingAppend } from './SqliteAppendBatch.ts';
import { SqliteEventReader } from './SqliteEventReader.ts';
import { acquireProcessLock } from './SqliteProcessLock.ts';
import { SqliteStreamTail } from './SqliteStreamTail.ts';
import { configureConnection, createSchema } from './SqliteSchema.ts';
import type { WriterReply, WriterRequest, WriterSettings } from './SqliteWriterMessages.ts';
import { packAppends, unpackResult } from './SqliteWriterMessages.ts';

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
  readonly #writer: Worker;
  /** Releases this store's share of the one-process lock (SqliteProcessLock). */
  readonly #releaseLock: () => void;
  readonly #readDb: DatabaseSync;
  readonly #tail: SqliteStreamTail;
  readonly #reader: SqliteEventReader;
  readonly #head: LogHead;
  readonly #clock: Clock;
  readonly #pageSize: number;
  readonly #onPageRead: ((events: number) => void) | undefined;
  #queue: QueuedAppend[] = [];
  #inFlight: QueuedAppend[] | undefined;
  /** The time recorded on the batch in flight. */
  #inFlightAt = 0;
  #flushScheduled = false;
  /** Set once the writer has failed for good: every later append is rejected with it. */
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  /** Called after each reply from the writer (or its failure): close() waits on them to drain. */
  #onSettled: Array<() => void> = [];
  #closed = false;
  /**
   * The latest acknowledged events, at consecutive positions, oldest first: those an open subscription
   * has yet to read, and at most two pages' worth.
   */
  #recent: AcknowledgedEvent[] = [];
  /** Where each open subscription last read from: the window keeps only what one of them may still read. */
  readonly #readers = new Set<{ after: number }>();

  private constructor(writer: Worker, readDb: DatabaseSync, options: SqliteEventStoreOptions, releaseLock: () => void) {
    this.#releaseLock = releaseLock;
    this.#writer = writer;
    this.#readDb = readDb;
    this.#tail = SqliteStreamTail.load(readDb);
    this.#reader = new SqliteEventReader(readDb, this.#tail);
    const head = readDb.prepare('SELECT coalesce(max(position), 0) AS position FROM events').get();
    this.#head = new LogHead(Number(head?.['position'] ?? 0));
    this.#clock = options.clock ?? systemClock;
    this.#pageSize = options.subscriptionPageSize ?? 1000;
    this.#onPageRead = options.onSubscriptionPageRead;
    writer.on('message', (reply: WriterReply) => this.#onReply(reply));
    writer.on('error', (error: unknown) => this.#fail(error instanceof Error ? error : new Error(String(error))));
    writer.on('exit', () => this.#fail(new Error('event store writer thread exited')));
    // Idle, the writer thread does not keep the process alive; it does while a batch is in flight.
    writer.unref();
  }

  /** Opens (creating it and its directory if needed) the event log in `file`. */
  static async open(file: string, options: SqliteEventStoreOptions = {}): Promise<SqliteEventStore> {
    mkdirSync(dirname(file), { recursive: true });
    const releaseLock = acquireProcessLock(file);
    let readDb: DatabaseSync | undefined;
    let writer: Worker | undefined;
    try {
      readDb = new DatabaseSync(file);
      configureConnection(readDb);
      createSchema(readDb);
      const settings: WriterSettings = { file, mergeThreshold: options.streamIndexMergeThreshold ?? 4096 };
      writer = new Worker(new URL('./SqliteWriterWorker.ts', import.meta.url), { workerData: settings });
      await writerReady(writer);
    } catch (error) {
      readDb?.close();
      await writer?.terminate();
      releaseLock();
      throw error;
    }
    return new SqliteEventStore(writer, readDb, options, releaseLock);
  }

  appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.#closing) return Promise.reject(new Error('event store is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    let rows: EventRow[];
    try {
      rows = events.map(toRow);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ append: { stream, expected, rows }, resolve, reject });
      if (!this.#flushScheduled && !this.#inFlight) {
        this.#flushScheduled = true;
        // On the next turn of the event loop, so that the appends issued in this one join the batch.
        setImmediate(() => {
          this.#flushScheduled = false;
          this.#send();
        });
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
      this.#reader.readLog(options.after ?? 0, this.#head.position, options.maxCount ?? -1, options.filter, options.withDataJson === true),
    );
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    if (this.#closed) throw new Error('event store is closed');
    const reader = { after: options.after ?? 0 };
    this.#readers.add(reader);
    return createPagedSubscription({
      after: reader.after,
      filter: options.filter,
      pageSize: this.#pageSize,
      head: this.#head,
      onPageRead: this.#onPageRead,
      readPage: (after, upTo, maxCount, filter) => {
        if (this.#closed) return [];
        reader.after = after;
        return this.#readPage(after, upTo, maxCount, filter);
      },
      onClose: () => this.#readers.delete(reader),
    });
  }

  /** A subscription's page: from the recent events when they hold every position after `after`. */
  #readPage(after: number, upTo: number, maxCount: number, filter: SubscribeToAllOptions['filter']): readonly RecordedEvent[] {
    const first = this.#recent[0];
    if (first === undefined || after < first.position - 1) return this.#reader.readLog(after, upTo, maxCount, filter, false);
    const page: RecordedEvent[] = [];
    for (let index = after - first.position + 1; index < this.#recent.length && page.length < maxCount; index++) {
      const event = this.#recent[index];
      if (event === undefined || event.position > upTo) break;
      if (matchesFilter(filter, event.stream, event.row[1])) page.push(event.envelope());
    }
    return page;
  }

  headPosition(): Promise<number> {
    return Promise.resolve(this.#head.position);
  }

  health(): StoreHealth {
    if (this.#failure) return { ok: false, reason: this.#failure.message };
    if (this.#closing) return { ok: false, reason: 'the event store is closed' };
    return { ok: true };
  }

  /** Commits what is queued, stops the writer thread and closes the database; later calls fail. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    while ((this.#inFlight || this.#queue.length > 0) && !this.#failure) {
      if (!this.#inFlight) this.#send();
      await new Promise<void>((resolve) => this.#onSettled.push(resolve));
    }
    if (!this.#failure) {
      this.#writer.ref();
      const closed = new Promise<void>((resolve) => this.#writer.once('exit', () => resolve()));
      this.#post({ kind: 'close' });
      await closed;
    }
    this.#closed = true;
    this.#head.close();
    this.#readDb.close();
    this.#releaseLock();
  }

  #send(): void {
    if (this.#inFlight || this.#queue.length === 0 || this.#failure) return;
    this.#inFlight = this.#queue;
    this.#queue = [];
    this.#writer.ref();
    this.#inFlightAt = this.#clock.now().getTime();
    this.#post({ kind: 'commit', appends: packAppends(this.#inFlight.map((entry) => entry.append)), recordedAt: this.#inFlightAt });
  }

  #post(request: WriterRequest): void {
    this.#writer.postMessage(request);
  }

  #onReply(reply: WriterReply): void {
    if (reply.kind !== 'committed' && reply.kind !== 'failed') return;
    const batch = this.#inFlight ?? [];
    this.#inFlight = undefined;
    this.#writer.unref();
    if (reply.kind === 'failed') {
      // The transaction was rolled back whole: nothing of this batch is in the log.
      const failure = new Error(`event store commit failed: ${reply.message}`);
      for (const entry of batch) entry.reject(failure);
    } else {
      this.#acknowledge(batch, unpackResult(reply.outcomes, reply.mergedThrough), this.#inFlightAt);
    }
    this.#send();
    this.#notifySettled();
  }

  #notifySettled(): void {
    const waiting = this.#onSettled;
    this.#onSettled = [];
    for (const resolve of waiting) resolve();
  }

  /** Keeps the batch's recorded envelopes, before the head moves past them. */
  #remember(batch: readonly QueuedAppend[], result: BatchResult, recordedAt: number): void {
    batch.forEach((entry, index) => {
      const outcome = result.outcomes[index];
      if (outcome?.ok !== true) return;
      const { stream, rows } = entry.append;
      rows.forEach((row, offset) => {
        const back = rows.length - 1 - offset;
        this.#recent.push(new AcknowledgedEvent(stream, outcome.lastRevision - back, outcome.lastPosition - back, row, recordedAt));
      });
    });
    // Every open subscription has read the positions up to where its last page began, so those need not
    // be kept: a subscription that keeps up leaves only the latest commit here. What is kept longer
    // outlives young collections and is promoted, and the old generation's collector pays for it.
    const first = this.#recent[0];
    let read = 0;
    if (first !== undefined && this.#readers.size > 0) {
      let after = Number.POSITIVE_INFINITY;
      for (const reader of this.#readers) after = Math.min(after, reader.after);
      read = Math.max(0, after - first.position + 1);
    }
    if (this.#recent.length > 2 * this.#pageSize) read = Math.max(read, this.#recent.length - this.#pageSize);
    if (read > 0) this.#recent = this.#recent.slice(read);
  }

  #acknowledge(batch: readonly QueuedAppend[], result: BatchResult, recordedAt: number): void {
    this.#tail.apply(
      batch.map((entry) => entry.append),
      result,
    );
    let head = this.#head.position;
    for (const outcome of result.outcomes) if (outcome.ok) head = Math.max(head, outcome.lastPosition);
    this.#remember(batch, result, recordedAt);
    this.#head.advance(head);
    batch.forEach((entry, index) => {
      const outcome = result.outcomes[index];
      if (outcome) settle(entry, outcome, head);
      else entry.reject(new Error('append was not committed'));
    });
  }

  #fail(error: Error): void {
    if (this.#closing && !this.#inFlight && this.#queue.length === 0) return;
    this.#failure ??= error;
    for (const entry of [...(this.#inFlight ?? []), ...this.#queue]) entry.reject(this.#failure);
    this.#inFlight = undefined;
    this.#queue = [];
    this.#notifySettled();
  }
}

/** Resolves when the writer thread has opened the database, rejects if it cannot. */
function writerReady(writer: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (reply: WriterReply): void => {
      stop();
      if (reply.kind === 'ready') resolve();
      else reject(new Error(`event store writer answered ${reply.kind} before it was ready`));
    };
    const onError = (error: unknown): void => {
      stop();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const stop = (): void => {
      writer.off('message', onMessage);
      writer.off('error', onError);
    };
    writer.on('message', onMessage);
    writer.on('error', onError);
  });
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

/**
 * A committed row and where it landed. Its envelope is built when a subscription first reads it, not
 * when its append is acknowledged: the acknowledgement is on the path every appender waits on (each
 * awaits it before its next append), a subscription's read is not.
 */
class AcknowledgedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly row: EventRow;
  readonly recordedAt: number;
  #envelope: RecordedEvent | undefined;

  constructor(stream: string, revision: number, position: number, row: EventRow, recordedAt: number) {
    this.stream = stream;
    this.revision = revision;
    this.position = position;
    this.row = row;
    this.recordedAt = recordedAt;
  }

  envelope(): RecordedEvent {
    this.#envelope ??= recordedEvent(this);
    return this.#envelope;
  }
}

/** The envelope of a committed row, as SqliteEventReader would read it back. */
function recordedEvent({ stream, revision, position, row, recordedAt }: AcknowledgedEvent): RecordedEvent {
  const [id, type, data, correlationId, causationId, actor, schemaVersion] = row;
  const metadata: { -readonly [K in keyof EventMetadata]: EventMetadata[K] } = { schemaVersion };
  if (correlationId !== null) metadata.correlationId = correlationId;
  if (causationId !== null) metadata.causationId = causationId;
  if (actor !== null) metadata.actor = actor;
  return {
    id,
    type,
    // Parsed again rather than kept from the caller, who may still change the object it appended.
    data: JSON.parse(data) as JsonValue,
    metadata,
    stream,
    revision,
    position,
    recordedAt: new Date(recordedAt),
  };
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
