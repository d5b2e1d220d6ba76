/**
 * The port on EventStoreDB (through `@eventstore/db-client`, gRPC), selected by an `esdb://` or
 * `esdb+discover://` connection string. The port was modelled on EventStoreDB, so this is a mapping:
 * revisions and positions are bigints there and numbers here (exact up to 2^53); a global position is
 * the event's commit position in the transaction log (servers 20+ give every event its own).
 *
 * "All events" means the application's events: system events (types starting with `$`, e.g. the
 * server's statistics and link events) are never returned.
 *
 * Filters: the server filters subscriptions (stream-name prefixes, else event-type prefixes); the
 * client's readAll takes no filter, so readAll filters here while streaming, stopping as soon as it
 * has `maxCount` matching events. Event types are matched exactly here in both cases, since the
 * server's event-type filter matches prefixes.
 */
import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
} from '@eventstore/db-client';
import type {
  AppendExpectedRevision,
  EventData,
  Filter,
  JSONType,
  ReadPosition,
  ResolvedEvent,
} from '@eventstore/db-client';
import type { JsonValue } from '../../domain/Json.ts';
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
  SubscribeToAllOptions,
  Subscription,
} from './EventStore.ts';
import { matchesFilter, recordedMetadata, WrongExpectedVersion } from './EventStore.ts';

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

export class EventStoreDbEventStore implements EventStore {
  readonly #client: EventStoreDBClient;

  private constructor(client: EventStoreDBClient) {
    this.#client = client;
  }

  /** Connects lazily: the first operation opens the gRPC channel. */
  static connect(connectionString: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  async appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    try {
      const result = await this.#client.appendToStream(stream, events.map(toEventData), { expectedRevision: toExpectedRevision(expected) });
      return {
        nextExpectedRevision: Number(result.nextExpectedRevision),
        position: result.position ? Number(result.position.commit) : await this.headPosition(),
      };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new WrongExpectedVersion(stream, expected, actual === NO_STREAM ? 'no_stream' : Number(actual));
      }
      throw error;
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision);
    if (options.maxCount === 0) {
      const exists = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
      return exists.status === 'found' ? { status: 'found', events: [] } : exists;
    }
    const events: RecordedEvent[] = [];
    try {
      const read = this.#client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: from,
        ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
      });
      for await (const resolved of read) {
        const recorded = toRecordedEvent(resolved);
        if (recorded) events.push(recorded);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return { status: 'stream_not_found' };
      throw error;
    }
    return { status: 'found', events };
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    const after = options.after ?? 0;
    const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    if (maxCount <= 0) return events;
    const read = this.#client.readAll({ direction: FORWARDS, fromPosition: toReadPosition(after) });
    for await (const resolved of read) {
      const recorded = toRecordedEvent(resolved);
      if (!recorded || recorded.position <= after || !matchesFilter(options.filter, recorded.stream, recorded.type)) continue;
      events.push(recorded);
      if (events.length >= maxCount) break; // leaving the loop cancels the read
    }
    return events;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const after = options.after ?? 0;
    const filter = options.filter;
    // The client's subscription is a Readable in object mode: it stops asking the server for more once
    // its buffer (highWaterMark) is full, which is the back-pressure the port asks for.
    const subscription = this.#client.subscribeToAll({ fromPosition: toReadPosition(after), filter: toServerFilter(filter) });
    const iterate = async function* (): AsyncGenerator<RecordedEvent> {
      for await (const resolved of subscription) {
        const recorded = toRecordedEvent(resolved);
        if (recorded && recorded.position > after && matchesFilter(filter, recorded.stream, recorded.type)) yield recorded;
      }
    };
    return {
      close: () => subscription.unsubscribe(),
      [Symbol.asyncIterator]: () => iterate(),
    };
  }

  async headPosition(): Promise<number> {
    // The last event may be a system event (statistics, links): walk back to the last of ours.
    const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: END });
    for await (const resolved of read) {
      const recorded = toRecordedEvent(resolved);
      if (recorded) return recorded.position;
    }
    return 0;
  }

  close(): Promise<void> {
    return this.#client.dispose();
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

/** Position 0 is "before everything"; any other is a commit position (reads from it are inclusive). */
function toReadPosition(after: number): ReadPosition {
  return after === 0 ? START : { commit: BigInt(after), prepare: BigInt(after) };
}

function toServerFilter(filter: EventFilter | undefined): Filter {
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  if (filter?.eventTypes && filter.eventTypes.length > 0) return eventTypeFilter({ prefixes: [...filter.eventTypes] });
  return excludeSystemEvents();
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
    position: commit === undefined ? 0 : Number(commit),
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
