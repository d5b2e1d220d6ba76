/**
 * The port on EventStoreDB (through `@eventstore/db-client`, gRPC), selected by an `esdb://` or
 * `esdb+discover://` connection string. The port was modelled on EventStoreDB, so this is a mapping:
 * revisions and positions are bigints there and numbers here (exact up to 2^53); a global position is
 * the event's commit position in the transaction log (servers 20+ give every event its own).
 *
 * "All events" means the application's events: system events (types starting with `$`, e.g. the
 * server's statistics and link events) are never returned.
 *
 * Every gRPC call is bounded or cancelled. EventStoreDB's Kestrel serves at most 100 concurrent
 * HTTP/2 streams on a connection (RFC 9113 section 5.1.2), and a read the client stops iterating
 * stays open on the server until `cancel()`: a leaked read per lookup freezes the connection after
 * about a hundred. So reads ask for a real `maxCount` and are read to their end (a read that fails
 * midway is cancelled in `finally`), and a subscription is cancelled when left.
 *
 * Filters: client 6.x's `readAll` sends no filter, so every filtered or unfiltered read of `$all`
 * here is a catch-up subscription with a server-side filter (stream-name prefixes, else event-type
 * prefixes, else "no system events"), stopped once it has `maxCount` events or has passed the head
 * it saw at the start (an event, a checkpoint or the server's "caught up" message at or beyond it).
 * Event types are matched exactly here, since the server's event-type filter matches prefixes.
 *
 * Subscriptions survive the connection: a dropped (or cleanly ended) subscription is opened again
 * from the last position it delivered or the server checkpointed, after a bounded exponential
 * back-off, and `health()` reports the store unhealthy while any subscription is waiting to resume.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
} from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  EventData,
  Filter,
  JSONType,
  Position,
  ReadPosition,
  ResolvedEvent,
  StreamingRead,
} from '@eventstore/db-client';
import type { JsonValue } from '../../domain/Json.ts';
import type { Logger } from '../logging/Logger.ts';
import type {
  AppendResult,
  EventFilter,
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
import { AppendTooLarge, matchesFilter, recordedMetadata, StreamDeleted, WrongExpectedVersion } from './EventStore.ts';

/**
 * Metadata as stored in EventStoreDB: `$correlationId` and `$causationId` are the names the server's
 * own projections (`$by_correlation_id`) read.
 */
interface StoredMetadata {
  readonly $correlationId?: string;
  readonly $causationId?: string;
  readonly actor?: string;
  readonly schemaVersion: number;
}

/** Waits `ms`, or less when `signal` aborts; injected so that tests of the back-off do not wait. */
export type Delay = (ms: number, signal: AbortSignal) => Promise<void>;

export interface EventStoreDbOptions {
  readonly logger?: Logger;
  readonly delay?: Delay;
  /** Resubscription and append retry back-off: doubles from `initialMs` up to `maxMs`. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** How many times an append is tried when the server is unavailable or changes leader. */
  readonly appendAttempts?: number;
}

/** The connection string asks for something the adapter cannot work with safely. */
export class EventStoreConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreConnectionError';
  }
}

/** Events per bounded read: one gRPC call reads at most this many, then ends. */
const READ_PAGE = 256;
/** Events per backwards read while looking for the last application event (past system events). */
const HEAD_PAGE = 32;
/**
 * Commit position 2^64 - 1: what servers before 22.6 put in events read from a stream, meaning "no
 * position". It is reported as 0 here.
 */
const NO_POSITION = 2n ** 64n - 1n;

/** Waits on a real timer; an abort ends the wait early (the rejection it causes is the signal, not an error). */
const systemDelay: Delay = (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined);

/** A subscription's resume point: the last event delivered or the last checkpoint, whichever is later. */
interface ResumingSubscription {
  after: number;
  current: AllStreamSubscription | undefined;
  readonly closed: AbortController;
}

/** Something the server said between events: that it has looked at the log up to a position, or all of it. */
class ScanProgress {
  readonly position: number | 'caught_up';

  constructor(position: number | 'caught_up') {
    this.position = position;
  }
}

export class EventStoreDbEventStore implements EventStore {
  readonly #client: EventStoreDBClient;
  readonly #logger: Logger | undefined;
  readonly #delay: Delay;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #appendAttempts: number;
  /** Subscriptions waiting to resume, and why. */
  readonly #resuming = new Map<ResumingSubscription, string>();
  readonly #closing = new AbortController();

  private constructor(client: EventStoreDBClient, options: EventStoreDbOptions) {
    this.#client = client;
    this.#logger = options.logger?.child({ component: 'eventstoredb' });
    this.#delay = options.delay ?? systemDelay;
    this.#initialBackoffMs = options.backoff?.initialMs ?? 100;
    this.#maxBackoffMs = options.backoff?.maxMs ?? 5000;
    this.#appendAttempts = options.appendAttempts ?? 3;
  }

  /**
   * Connects lazily: the first operation opens the gRPC channel. Refuses `throwOnAppendFailure=false`:
   * with it the client resolves a failed expected-revision check as `{ success: false }` instead of
   * rejecting, and a conflict would pass for a write.
   */
  static connect(connectionString: string, options: EventStoreDbOptions = {}): EventStoreDbEventStore {
    const client = EventStoreDBClient.connectionString(connectionString);
    // The client exposes the parsed option through a getter its typings mark protected.
    if (!(client as unknown as { readonly throwOnAppendFailure: boolean }).throwOnAppendFailure) {
      throw new EventStoreConnectionError(
        'the EventStoreDB connection string sets throwOnAppendFailure=false: remove it (the service needs conflicting appends to fail)',
      );
    }
    return new EventStoreDbEventStore(client, options);
  }

  async appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    // The event ids are fixed once, before any attempt: a retried append then carries the same ids,
    // and the server recognises a repeat of a write that succeeded but whose reply was lost.
    const data = events.map(toEventData);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.#client.appendToStream(stream, data, { expectedRevision: toExpectedRevision(expected) });
        if (!result.success) throw new WrongExpectedVersion(stream, expected, result.nextExpectedRevision < 0n ? 'no_stream' : Number(result.nextExpectedRevision));
        return {
          nextExpectedRevision: Number(result.nextExpectedRevision),
          position: result.position ? Number(result.position.commit) : await this.headPosition(),
        };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          const actual = error.actualVersion;
          throw new WrongExpectedVersion(stream, expected, actual === NO_STREAM ? 'no_stream' : Number(actual));
        }
        if (error instanceof StreamDeletedError) throw new StreamDeleted(stream, { cause: error });
        if (error instanceof MaxAppendSizeExceededError) throw new AppendTooLarge(stream, error.maxAppendSize, { cause: error });
        if (!isTransient(error) || attempt >= this.#appendAttempts || this.#closing.signal.aborted) throw error;
        this.#logger?.warn({ err: error, stream, attempt }, 'append failed on a transient error: retrying with the same event ids');
        await this.#delay(this.#backoff(attempt), this.#closing.signal);
      }
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    const backwards = options.direction === 'backwards';
    const wanted = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (wanted <= 0) {
      const exists = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
      return exists.status === 'found' ? { status: 'found', events: [] } : exists;
    }
    const events: RecordedEvent[] = [];
    let from: bigint | typeof START | typeof END = options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision);
    try {
      // Page by page: each read asks for a bounded count and is read to its end.
      for (;;) {
        const maxCount = Math.min(READ_PAGE, wanted - events.length);
        const read = this.#client.readStream(stream, { direction: backwards ? BACKWARDS : FORWARDS, fromRevision: from, maxCount });
        let count = 0;
        let last: bigint | undefined;
        await readToEnd(read, (resolved) => {
          count++;
          if (resolved.event) last = resolved.event.revision;
          const recorded = toRecordedEvent(resolved);
          if (recorded) events.push(recorded);
        });
        if (count < maxCount || events.length >= wanted || last === undefined) break;
        if (backwards && last === 0n) break;
        from = backwards ? last - 1n : last + 1n;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return { status: 'stream_not_found' };
      if (error instanceof StreamDeletedError) throw new StreamDeleted(stream, { cause: error });
      throw error;
    }
    return { status: 'found', events };
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    const after = options.after ?? 0;
    const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    if (maxCount <= 0) return events;
    const head = await this.headPosition();
    if (after >= head) return events;
    const subscription = this.#client.subscribeToAll({ fromPosition: toReadPosition(after), filter: toServerFilter(options.filter) });
    const progress = markProgress(subscription);
    try {
      for await (const item of progress) {
        if (item instanceof ScanProgress) {
          if (item.position === 'caught_up' || item.position >= head) break;
          continue;
        }
        const recorded = toRecordedEvent(item);
        if (!recorded || recorded.position <= after) continue;
        if (matchesFilter(options.filter, recorded.stream, recorded.type)) events.push(recorded);
        if (events.length >= maxCount || recorded.position >= head) break;
      }
    } finally {
      await subscription.unsubscribe();
    }
    return events;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    if (this.#closing.signal.aborted) throw new Error('event store is closed');
    const state: ResumingSubscription = { after: options.after ?? 0, current: undefined, closed: new AbortController() };
    const onStoreClose = (): void => state.closed.abort();
    this.#closing.signal.addEventListener('abort', onStoreClose, { once: true });
    const iterator = this.#deliver(options.filter, state);
    return {
      close: async () => {
        state.closed.abort();
        this.#closing.signal.removeEventListener('abort', onStoreClose);
        await state.current?.unsubscribe();
        await iterator.return(undefined);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
  }

  /** The events of a subscription that resumes, after a back-off, whenever the server drops or ends it. */
  async *#deliver(filter: EventFilter | undefined, state: ResumingSubscription): AsyncGenerator<RecordedEvent> {
    const serverFilter = toServerFilter(filter);
    let failures = 0;
    try {
      while (!state.closed.signal.aborted) {
        // The client's subscription is a Readable in object mode: it stops asking the server for
        // more once its buffer (highWaterMark) is full, which is the back-pressure the port asks for.
        const subscription = this.#client.subscribeToAll({ fromPosition: toReadPosition(state.after), filter: serverFilter });
        state.current = subscription;
        subscription.on('confirmation', () => {
          failures = 0;
          this.#resuming.delete(state);
        });
        let reason: string;
        try {
          for await (const item of untilAborted(markProgress(subscription), state.closed.signal)) {
            if (item instanceof ScanProgress) {
              if (item.position !== 'caught_up') state.after = Math.max(state.after, item.position);
              continue;
            }
            const recorded = toRecordedEvent(item);
            if (!recorded || recorded.position <= state.after) continue;
            state.after = recorded.position;
            if (matchesFilter(filter, recorded.stream, recorded.type)) yield recorded;
          }
          reason = 'the server ended the subscription';
        } catch (error) {
          reason = error instanceof Error ? error.message : String(error);
        } finally {
          await subscription.unsubscribe();
        }
        if (state.closed.signal.aborted) return;
        failures++;
        const delayMs = this.#backoff(failures);
        this.#resuming.set(state, reason);
        this.#logger?.warn({ reason, after: state.after, attempt: failures, delayMs }, 'subscription to $all lost: resubscribing');
        await this.#delay(delayMs, state.closed.signal);
      }
    } finally {
      this.#resuming.delete(state);
    }
  }

  async headPosition(): Promise<number> {
    // The last event may be a system event (statistics, links): walk back, a page at a time, to the
    // last of ours.
    let from: ReadPosition = END;
    for (;;) {
      const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: HEAD_PAGE });
      let count = 0;
      let oldest: Position | undefined;
      let found: number | undefined;
      await readToEnd(read, (resolved) => {
        count++;
        oldest = resolved.event?.position ?? oldest;
        found ??= toRecordedEvent(resolved)?.position;
      });
      if (found !== undefined) return found;
      if (count < HEAD_PAGE || !oldest) return 0;
      from = oldest;
    }
  }

  health(): StoreHealth {
    if (this.#closing.signal.aborted) return { ok: false, reason: 'the event store is closed' };
    const [reason] = this.#resuming.values();
    if (reason === undefined) return { ok: true };
    return { ok: false, reason: `${this.#resuming.size} subscription(s) to EventStoreDB resuming after: ${reason}` };
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await this.#client.dispose();
  }

  #backoff(attempt: number): number {
    return Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** Math.min(attempt - 1, 30));
  }
}

/** Server unavailable, deadline passed, leader changed, call cancelled by the server: worth another try. */
function isTransient(error: unknown): boolean {
  return error instanceof UnavailableError || error instanceof DeadlineExceededError || error instanceof NotLeaderError || error instanceof CancelledError;
}

/**
 * Reads a bounded read to its end. Leaving a `for await` early destroys only the client's wrapper
 * stream: the gRPC call stays open until `cancel()`, and when the server had already finished it,
 * `cancel()` does nothing and the call's stream never ends, so that the client's `dispose()` waits on
 * it for ever. A read is therefore always bounded and drained; one that fails midway is cancelled.
 */
async function readToEnd(read: StreamingRead<ResolvedEvent>, onEvent: (resolved: ResolvedEvent) => void): Promise<void> {
  let ended = false;
  try {
    for await (const resolved of read as AsyncIterable<ResolvedEvent>) onEvent(resolved);
    ended = true;
  } finally {
    if (!ended) await read.cancel();
  }
}

/**
 * The subscription's events with the server's checkpoints and "caught up" message in between, in
 * the order the server sent them: both are pushed into the stream from inside the client's
 * transform, which handles the server's messages one at a time.
 */
function markProgress(subscription: AllStreamSubscription): AsyncIterable<AllStreamResolvedEvent | ScanProgress> {
  subscription.on('caughtUp', () => subscription.push(new ScanProgress('caught_up')));
  return subscription as AsyncIterable<AllStreamResolvedEvent | ScanProgress>;
}

/** Ends the iteration as soon as `signal` aborts, even while a `next()` is pending. */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    if (signal.aborted) resolve({ done: true, value: undefined });
    signal.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    void iterator.return?.()?.catch(() => undefined);
  }
}

function toExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return BigInt(expected);
  }
}

/** Position 0 is "before everything"; any other is a commit position. */
function toReadPosition(after: number): ReadPosition {
  return after === 0 ? START : { commit: BigInt(after), prepare: BigInt(after) };
}

/**
 * The server-side filter, with a checkpoint after every search window it scans (the server's
 * default window), so that a reader learns how far a scan got even when nothing matched.
 */
function toServerFilter(filter: EventFilter | undefined): Filter {
  const checkpoint = { checkpointInterval: 1, checkpointReached: onCheckpoint };
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) return streamNameFilter({ prefixes: [...filter.streamPrefixes], ...checkpoint });
  if (filter?.eventTypes && filter.eventTypes.length > 0) return eventTypeFilter({ prefixes: [...filter.eventTypes], ...checkpoint });
  return excludeSystemEvents(checkpoint);
}

/** Called by the client inside its transform: the checkpoint joins the events in order. */
function onCheckpoint(subscription: AllStreamSubscription, position: Position): Promise<void> {
  subscription.push(new ScanProgress(Number(position.commit)));
  return Promise.resolve();
}

function toEventData(event: NewEvent): EventData {
  const metadata = recordedMetadata(event.metadata);
  const stored: StoredMetadata = {
    ...(metadata.correlationId !== undefined ? { $correlationId: metadata.correlationId } : {}),
    ...(metadata.causationId !== undefined ? { $causationId: metadata.causationId } : {}),
    ...(metadata.actor !== undefined ? { actor: metadata.actor } : {}),
    schemaVersion: metadata.schemaVersion,
  };
  return {
    id: event.id ?? randomUUID(),
    contentType: 'application/json',
    type: event.type,
    // The client JSON.stringifies `data` whatever it is; its type only names the usual shapes
    // (object, array, string), while a JsonValue may also be a number, boolean or null.
    data: event.data as JSONType,
    metadata: { ...stored },
  };
}

/** Our envelope for one of the application's events; undefined for system events and links. */
function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  const commit = event.position?.commit ?? resolved.commitPosition;
  return {
    id: event.id,
    type: event.type,
    data: (event.isJson ? event.data : null) as JsonValue,
    metadata: toMetadata(event.metadata),
    stream: event.streamId,
    revision: Number(event.revision),
    position: commit === undefined || commit === NO_POSITION ? 0 : Number(commit),
    recordedAt: event.created,
  };
}

function toMetadata(stored: unknown): EventMetadata {
  const fields = typeof stored === 'object' && stored !== null && !(stored instanceof Uint8Array) ? (stored as Record<string, unknown>) : {};
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return recordedMetadata({
    correlationId: text(fields['$correlationId']) ?? text(fields['correlationId']),
    causationId: text(fields['$causationId']) ?? text(fields['causationId']),
    actor: text(fields['actor']),
    ...(typeof fields['schemaVersion'] === 'number' ? { schemaVersion: fields['schemaVersion'] } : {}),
  });
}
