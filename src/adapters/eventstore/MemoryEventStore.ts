/**
 * The in-memory event store: the reference fake for fast unit tests of the domain and projections.
 * It has exactly the port's semantics (the contract suite runs against it), nothing is durable.
 *
 * Data and metadata are copied through JSON on append, as a persistent store would, and the recorded
 * envelopes are frozen, so a test that mutates an event it read fails loudly instead of corrupting the
 * log.
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../../domain/Json.ts';
import type {
  AppendResult,
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
import { matchesFilter, recordedMetadata, revisionMatches, WrongExpectedVersion } from './EventStore.ts';
import { LogHead } from './LogHead.ts';
import { createPagedSubscription } from './PagedSubscription.ts';
import type { Clock } from '../../domain/Clock.ts';
import { systemClock } from '../../domain/Clock.ts';

export interface MemoryEventStoreOptions {
  readonly clock?: Clock;
  /** How many events a subscription reads at a time. */
  readonly subscriptionPageSize?: number;
  /** Told the size of every page a subscription reads: for metrics, and to observe back-pressure. */
  readonly onSubscriptionPageRead?: (events: number) => void;
}

export class MemoryEventStore implements EventStore {
  /** The global log; an event's position is its index + 1, so position 0 means "before everything". */
  readonly #log: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #head = new LogHead(0);
  readonly #clock: Clock;
  readonly #pageSize: number;
  readonly #onPageRead: ((events: number) => void) | undefined;
  #closed = false;

  constructor(options: MemoryEventStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#pageSize = options.subscriptionPageSize ?? 256;
    this.#onPageRead = options.onSubscriptionPageRead;
  }

  appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    const existing = this.#streams.get(stream);
    const lastRevision = existing ? existing.length - 1 : -1;
    if (!revisionMatches(expected, lastRevision)) {
      return Promise.reject(new WrongExpectedVersion(stream, expected, lastRevision === -1 ? 'no_stream' : lastRevision));
    }
    if (events.length === 0) {
      return Promise.resolve({ nextExpectedRevision: lastRevision, position: this.#log.length });
    }
    const recordedAt = this.#clock.now();
    const streamEvents = existing ?? [];
    for (const event of events) {
      const recorded: RecordedEvent = deepFreeze({
        id: event.id ?? randomUUID(),
        type: event.type,
        data: JSON.parse(JSON.stringify(event.data)) as JsonValue,
        metadata: recordedMetadata(event.metadata),
        stream,
        revision: streamEvents.length,
        position: this.#log.length + 1,
        recordedAt: new Date(recordedAt.getTime()),
      });
      streamEvents.push(recorded);
      this.#log.push(recorded);
    }
    this.#streams.set(stream, streamEvents);
    this.#head.advance(this.#log.length);
    return Promise.resolve({ nextExpectedRevision: streamEvents.length - 1, position: this.#log.length });
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    const events = this.#streams.get(stream);
    if (!events) return Promise.resolve({ status: 'stream_not_found' });
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (options.direction === 'backwards') {
      const from = Math.min(options.fromRevision ?? events.length - 1, events.length - 1);
      const end = Math.max(from + 1 - maxCount, 0);
      return Promise.resolve({ status: 'found', events: events.slice(end, from + 1).reverse() });
    }
    const from = options.fromRevision ?? 0;
    return Promise.resolve({ status: 'found', events: events.slice(from, from + maxCount) });
  }

  readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    return Promise.resolve(this.#readPage(options.after ?? 0, this.#log.length, options.maxCount ?? Number.MAX_SAFE_INTEGER, options.filter));
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    if (this.#closed) throw new Error('event store is closed');
    return createPagedSubscription({
      after: options.after ?? 0,
      filter: options.filter,
      pageSize: this.#pageSize,
      head: this.#head,
      onPageRead: this.#onPageRead,
      readPage: (after, upTo, maxCount, filter) => this.#readPage(after, upTo, maxCount, filter),
    });
  }

  headPosition(): Promise<number> {
    return Promise.resolve(this.#log.length);
  }

  health(): StoreHealth {
    return this.#closed ? { ok: false, reason: 'the event store is closed' } : { ok: true };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#head.close();
    return Promise.resolve();
  }

  #readPage(after: number, upTo: number, maxCount: number, filter: ReadAllOptions['filter']): RecordedEvent[] {
    const page: RecordedEvent[] = [];
    const end = Math.min(upTo, this.#log.length);
    for (let index = Math.max(after, 0); index < end && page.length < maxCount; index++) {
      const event = this.#log[index];
      if (event && matchesFilter(filter, event.stream, event.type)) page.push(event);
    }
    return page;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // Walked in place rather than through Object.values: every appended event's envelope and data
    // pass here, and each object's array of values was garbage at once.
    if (Array.isArray(value)) for (const child of value) deepFreeze(child);
    else for (const key in value) deepFreeze(value[key]);
  }
  return value;
}
