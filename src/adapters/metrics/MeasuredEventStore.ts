/**
 * An event store that measures its appends (how long each takes, how many events it writes) and
 * otherwise hands every call to the store it wraps, whichever adapter that is.
 */
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
} from '../eventstore/EventStore.ts';
import type { Metrics } from './Metrics.ts';

/** From a group-committed SQLite append (a few ms) to a slow remote store (seconds). */
const appendBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function measureAppends(store: EventStore, metrics: Metrics): EventStore {
  const latency = metrics.histogram<'outcome'>({
    name: 'lwm2m_hub_eventstore_append_seconds',
    help: 'Time an append to the event store takes, by outcome (ok, or failed: a conflict or an error)',
    labelNames: ['outcome'],
    buckets: appendBuckets,
  });
  const appended = metrics.counter({ name: 'lwm2m_hub_eventstore_appended_events_total', help: 'Events appended to the event store by this process' });
  return new MeasuredEventStore(store, (seconds, events) => {
    latency.observe({ outcome: events === undefined ? 'failed' : 'ok' }, seconds);
    if (events !== undefined) appended.inc({}, events);
  });
}

class MeasuredEventStore implements EventStore {
  readonly #store: EventStore;
  readonly #measured: (seconds: number, events: number | undefined) => void;

  constructor(store: EventStore, measured: (seconds: number, events: number | undefined) => void) {
    this.#store = store;
    this.#measured = measured;
  }

  async appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const started = performance.now();
    try {
      const result = await this.#store.appendToStream(stream, events, expected);
      this.#measured((performance.now() - started) / 1000, events.length);
      return result;
    } catch (error) {
      this.#measured((performance.now() - started) / 1000, undefined);
      throw error;
    }
  }

  readStream(stream: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    return this.#store.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    return this.#store.readAll(options);
  }

  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return this.#store.subscribeToAll(options);
  }

  headPosition(): Promise<number> {
    return this.#store.headPosition();
  }

  health(): StoreHealth {
    return this.#store.health();
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
