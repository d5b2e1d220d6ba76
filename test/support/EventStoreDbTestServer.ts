/**
 * A gRPC server that speaks EventStoreDB's `Streams.Read` and `Streams.Append` with the protocol
 * definitions `@eventstore/db-client` ships (its generated `streams_pb`), over an in-memory log, for
 * the failure modes no real server can be made to show on demand: a capped number of concurrent
 * HTTP/2 streams (Kestrel's default is 100), subscriptions dropped with UNAVAILABLE or ended cleanly,
 * transient append failures, tombstoned streams, the append size limit, and stream reads without a
 * position (servers before 22.6).
 *
 * It is NOT a conformance test of EventStoreDB: it answers only what the adapter asks, modelled on
 * the server's source (Enumerator.AllSubscriptionFiltered, ReadAllForwards, Append), and whatever it
 * gets wrong, the tests against it cannot see. Known simplifications: a checkpoint carries the
 * position of the last record looked at (the server's carries the last match or the page's start,
 * never further), and reads take no deadline or credentials. A subscription writes the log from its
 * position only while the client's HTTP/2 flow-control window has room (RFC 9113 section 5.2), as the
 * server's catch-up does, so that a bounded read the client cancels early costs a window's worth of
 * records, not the rest of the log. Positions are byte-like (100 per record) and system events may
 * sit between the application's, as in a real transaction log.
 *
 * Only `Read` and `Append` are served (grpc-js answers UNIMPLEMENTED for the rest): without the
 * `ServerFeatures` service the client falls back from `BatchAppend` to the streaming `Append`.
 */
import { Server, ServerCredentials, status, Metadata } from '@grpc/grpc-js';
import type { ServerWritableStream, ServerReadableStream, sendUnaryData, ServiceError } from '@grpc/grpc-js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type { ReadReq, AppendReq, AppendResp, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';

const { ReadResp: ReadRespMessage, AppendResp: AppendRespMessage } = streamsPb;
const { Empty, UUID, StreamIdentifier } = sharedPb;

/** What servers before 22.6 put in a stream read's commit and prepare positions: 2^64 - 1. */
export const NO_POSITION = '18446744073709551615';
/** The server's `ReadBatchSize`, the default search window of a filtered subscription. */
const SEARCH_WINDOW = 32;
const POSITION_STEP = 100;

export interface StoredEvent {
  readonly id: string;
  readonly stream: string;
  readonly type: string;
  readonly revision: number;
  readonly position: number;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export interface EventStoreDbTestServerOptions {
  /** The HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS the server announces. */
  readonly maxConcurrentStreams?: number;
  /** Stream reads carry commit position 2^64 - 1, as on servers before 22.6. */
  readonly streamReadsWithoutPosition?: boolean;
  /** Bytes of data and metadata one append may carry (the server's default is 1 MiB). */
  readonly maxAppendSize?: number;
}

interface LiveSubscription {
  readonly call: ServerWritableStream<ReadReq, ReadResp>;
  readonly matches: (event: StoredEvent) => boolean;
  considered: number;
  readonly checkpointEvery: number;
  /** The index in the log of the next record to look at. */
  next: number;
  caughtUp: boolean;
  /** Whether the client's flow-control window is full: writing resumes on 'drain'. */
  waiting: boolean;
}

export interface AppendFailure {
  /** Whether the append is committed before the client is told UNAVAILABLE (the reply was lost). */
  readonly committed: boolean;
}

export class EventStoreDbTestServer {
  readonly #server: Server;
  readonly #port: number;
  readonly #options: EventStoreDbTestServerOptions;
  readonly #log: StoredEvent[] = [];
  readonly #streams = new Map<string, StoredEvent[]>();
  readonly #tombstoned = new Set<string>();
  readonly #openReads = new Set<ServerWritableStream<ReadReq, ReadResp>>();
  readonly #live = new Set<LiveSubscription>();
  readonly #appendFailures: AppendFailure[] = [];
  /** How many Read calls the server has answered, and how many events it has sent in them. */
  readsStarted = 0;
  subscriptionsStarted = 0;
  eventsSent = 0;
  appendsReceived = 0;

  private constructor(server: Server, port: number, options: EventStoreDbTestServerOptions) {
    this.#server = server;
    this.#port = port;
    this.#options = options;
  }

  static async start(options: EventStoreDbTestServerOptions = {}): Promise<EventStoreDbTestServer> {
    const server = new Server(options.maxConcurrentStreams === undefined ? {} : { 'grpc.max_concurrent_streams': options.maxConcurrentStreams });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const testServer = new EventStoreDbTestServer(server, port, options);
    server.addService(streamsGrpc.StreamsService, {
      read: (call: ServerWritableStream<ReadReq, ReadResp>) => testServer.#read(call),
      append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => testServer.#append(call, callback),
    });
    return testServer;
  }

  /** A connection string for the adapter: insecure, one node, no discovery. */
  get url(): string {
    return `esdb://127.0.0.1:${this.#port}?tls=false`;
  }

  get log(): readonly StoredEvent[] {
    return this.#log;
  }

  /** Read calls (reads and subscriptions) the client has not closed and the server has not ended. */
  get openReads(): number {
    return this.#openReads.size;
  }

  get liveSubscriptions(): number {
    return this.#live.size;
  }

  /** Appends events as another client would (JSON data), bypassing the adapter. */
  appendDirect(stream: string, events: ReadonlyArray<{ readonly type: string; readonly data?: unknown }>): void {
    this.#commit(
      stream,
      events.map((event) => ({
        id: crypto.randomUUID(),
        type: event.type,
        contentType: 'application/json',
        data: Buffer.from(JSON.stringify(event.data ?? {})),
        metadata: Buffer.from(JSON.stringify({ schemaVersion: 1 })),
      })),
    );
  }

  /** Writes server-side events (statistics, links) into the log, between the application's. */
  appendSystemEvents(count: number): void {
    for (let i = 0; i < count; i++) this.appendDirect('$stats-127.0.0.1:2113', [{ type: '$statsCollected' }]);
  }

  tombstone(stream: string): void {
    this.#tombstoned.add(stream);
  }

  /** The next appends fail with UNAVAILABLE, committed or not. */
  failNextAppends(...failures: AppendFailure[]): void {
    this.#appendFailures.push(...failures);
  }

  /** Ends every live subscription with UNAVAILABLE, as a restarting or unreachable server does. */
  dropSubscriptions(): void {
    for (const live of [...this.#live]) this.#finish(live.call, { code: status.UNAVAILABLE, details: 'the server is restarting' });
  }

  /** Ends every live subscription with status OK, as a server may when it shuts a connection down. */
  endSubscriptions(): void {
    for (const live of [...this.#live]) this.#finish(live.call);
  }

  stop(): Promise<void> {
    this.#server.forceShutdown();
    return Promise.resolve();
  }

  #read(call: ServerWritableStream<ReadReq, ReadResp>): void {
    this.readsStarted++;
    this.#openReads.add(call);
    call.on('cancelled', () => this.#forget(call));
    const options = call.request.getOptions();
    if (!options) return this.#finish(call, { code: status.INVALID_ARGUMENT, details: 'read without options' });
    const stream = options.getStream();
    if (stream) return this.#readStream(call, options, stream);
    if (options.hasSubscription()) return this.#subscribeToAll(call, options);
    return this.#readAll(call, options);
  }

  #readStream(call: ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options, stream: ReadReq.Options.StreamOptions): void {
    const name = Buffer.from(stream.getStreamIdentifier()?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
    if (this.#tombstoned.has(name)) return this.#finish(call, streamDeleted(name));
    const events = this.#streams.get(name);
    if (!events) {
      const notFound = new ReadRespMessage.StreamNotFound();
      notFound.setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(name)));
      this.#send(call, new ReadRespMessage().setStreamNotFound(notFound));
      return this.#finish(call);
    }
    const backwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
    const count = Number(options.getCount());
    const last = events.length - 1;
    const from = stream.hasRevision() ? Number(stream.getRevision()) : stream.hasEnd() ? last : backwards ? last : 0;
    const selected = backwards ? events.slice(Math.max(0, from - count + 1), from + 1).reverse() : events.slice(from, from + count);
    for (const event of selected) this.#sendEvent(call, event, this.#options.streamReadsWithoutPosition === true);
    this.#finish(call);
  }

  #readAll(call: ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options): void {
    if (options.hasFilter()) return this.#finish(call, { code: status.UNIMPLEMENTED, details: 'filtered reads are not served here' });
    const all = options.getAll();
    const count = Number(options.getCount());
    const backwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
    const position = all?.getPosition();
    const from = position ? Number(position.getCommitPosition()) : undefined;
    let selected: StoredEvent[];
    if (backwards) {
      // ReadAllBackwards from a position returns the records before it; from the end, the last ones.
      const before = all?.hasEnd() || from === undefined ? this.#log : this.#log.slice(0, this.#indexAfter(from - 1));
      selected = before.slice(Math.max(0, before.length - count)).reverse();
    } else {
      // ReadAllForwards from a position includes the record at it.
      const start = from === undefined ? 0 : this.#indexAfter(from - 1);
      selected = this.#log.slice(start, start + count);
    }
    this.#writeAll(call, selected, () => this.#finish(call));
  }

  #subscribeToAll(call: ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options): void {
    this.subscriptionsStarted++;
    const all = options.getAll();
    const filterOptions = options.getFilter();
    const matches = filterOptions ? filterOf(filterOptions) : () => true;
    const window = filterOptions?.hasMax() ? filterOptions.getMax() : SEARCH_WINDOW;
    // A subscription from a position starts after the record at it (the server reads one record from
    // there and continues from the next); from the end, at the next append.
    const position = all?.getPosition();
    const live: LiveSubscription = {
      call,
      matches,
      considered: 0,
      checkpointEvery: filterOptions ? Math.max(1, filterOptions.getCheckpointintervalmultiplier()) * window : Number.POSITIVE_INFINITY,
      next: position ? this.#indexAfter(Number(position.getCommitPosition())) : all?.hasEnd() ? this.#log.length : 0,
      caughtUp: false,
      waiting: false,
    };
    this.#send(call, new ReadRespMessage().setConfirmation(new ReadRespMessage.SubscriptionConfirmation().setSubscriptionId(crypto.randomUUID())));
    this.#live.add(live);
    this.#pump(live);
  }

  /**
   * Writes the subscription's next records until it reaches the log's end (then "caught up", once) or
   * the client's window is full (then again on 'drain'); every append pumps the subscriptions again.
   */
  #pump(live: LiveSubscription): void {
    if (live.waiting) return;
    while (live.next < this.#log.length) {
      if (!this.#live.has(live)) return;
      const event = this.#log[live.next++];
      if (event && !this.#consider(live, event)) {
        live.waiting = true;
        live.call.once('drain', () => {
          live.waiting = false;
          this.#pump(live);
        });
        return;
      }
    }
    if (!live.caughtUp) {
      live.caughtUp = true;
      this.#send(live.call, new ReadRespMessage().setCaughtUp(new ReadRespMessage.CaughtUp()));
    }
  }

  /**
   * One record the subscription's filter looks at: sent if it matches, counted towards a checkpoint.
   * False when the client's window is full.
   */
  #consider(live: LiveSubscription, event: StoredEvent): boolean {
    let room = true;
    if (live.matches(event)) room = this.#sendEvent(live.call, event, false);
    live.considered++;
    if (live.considered >= live.checkpointEvery) {
      live.considered = 0;
      const checkpoint = new ReadRespMessage.Checkpoint().setCommitPosition(String(event.position)).setPreparePosition(String(event.position));
      room = this.#send(live.call, new ReadRespMessage().setCheckpoint(checkpoint)) && room;
    }
    return room;
  }

  /** The index of the first record after `position`: the log is in position order. */
  #indexAfter(position: number): number {
    let low = 0;
    let high = this.#log.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#log[middle]?.position ?? Number.POSITIVE_INFINITY) <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #append(call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
    this.appendsReceived++;
    let options: AppendReq.Options | undefined;
    const proposed: Omit<StoredEvent, 'stream' | 'revision' | 'position'>[] = [];
    call.on('data', (request: AppendReq) => {
      if (request.hasOptions()) options = request.getOptions();
      const message = request.getProposedMessage();
      if (message) {
        const metadata = message.getMetadataMap();
        proposed.push({
          id: message.getId()?.getString() ?? '',
          type: metadata.get('type') ?? '',
          contentType: metadata.get('content-type') ?? 'application/octet-stream',
          data: message.getData_asU8(),
          metadata: message.getCustomMetadata_asU8(),
        });
      }
    });
    call.on('end', () => {
      if (!options) return callback({ code: status.INVALID_ARGUMENT, details: 'append without options' });
      const stream = Buffer.from(options.getStreamIdentifier()?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
      if (this.#tombstoned.has(stream)) return callback(streamDeleted(stream));
      const size = proposed.reduce((sum, event) => sum + event.data.length + event.metadata.length, 0);
      const limit = this.#options.maxAppendSize ?? 1024 * 1024;
      if (size > limit) return callback(commandError('maximum-append-size-exceeded', { 'maximum-append-size': String(limit) }));
      const existing = this.#streams.get(stream) ?? [];
      const failure = this.#appendFailures.shift();
      if (failure && !failure.committed) return callback({ code: status.UNAVAILABLE, details: 'the leader is changing' });
      const response = this.#appendChecked(stream, existing, options, proposed);
      if (failure) return callback({ code: status.UNAVAILABLE, details: 'the connection dropped before the reply' });
      callback(null, response);
    });
  }

  /** The expected-revision check, idempotent for a repeated append of the same event ids. */
  #appendChecked(stream: string, existing: readonly StoredEvent[], options: AppendReq.Options, proposed: Omit<StoredEvent, 'stream' | 'revision' | 'position'>[]): AppendResp {
    const current = existing.length - 1;
    const expected = options.hasRevision() ? Number(options.getRevision()) : options.hasNoStream() ? -1 : options.hasStreamExists() ? 'exists' : 'any';
    const ids = proposed.map((event) => event.id);
    const start = expected === 'any' || expected === 'exists' ? -1 : expected + 1;
    const repeated = start >= 0 && ids.length > 0 && ids.every((id, index) => existing[start + index]?.id === id);
    const ok = expected === 'any' || (expected === 'exists' ? current >= 0 : expected === current);
    if (repeated) return success(start + ids.length - 1, existing[start + ids.length - 1]?.position ?? 0);
    if (!ok) {
      const wrong = new AppendRespMessage.WrongExpectedVersion();
      if (current >= 0) wrong.setCurrentRevision(String(current));
      else wrong.setCurrentNoStream(new Empty());
      if (typeof expected === 'number' && expected >= 0) wrong.setExpectedRevision(String(expected));
      else if (expected === -1) wrong.setExpectedNoStream(new Empty());
      else if (expected === 'exists') wrong.setExpectedStreamExists(new Empty());
      else wrong.setExpectedAny(new Empty());
      return new AppendRespMessage().setWrongExpectedVersion(wrong);
    }
    if (proposed.length === 0) return success(current, this.#log[this.#log.length - 1]?.position ?? 0);
    const last = this.#commit(stream, proposed);
    return success(last.revision, last.position);
  }

  #commit(stream: string, proposed: ReadonlyArray<Omit<StoredEvent, 'stream' | 'revision' | 'position'>>): StoredEvent {
    const events = this.#streams.get(stream) ?? [];
    this.#streams.set(stream, events);
    let last: StoredEvent | undefined;
    for (const event of proposed) {
      last = { ...event, stream, revision: events.length, position: (this.#log.length + 1) * POSITION_STEP };
      events.push(last);
      this.#log.push(last);
    }
    if (!last) throw new Error('nothing to commit');
    for (const live of this.#live) this.#pump(live);
    return last;
  }

  /** Writes events in order, pausing while the client's flow-control window is full. */
  #writeAll(call: ServerWritableStream<ReadReq, ReadResp>, events: readonly StoredEvent[], done: () => void): void {
    let index = 0;
    const writeMore = (): void => {
      while (index < events.length) {
        if (call.cancelled) return;
        const event = events[index++];
        if (event && !this.#sendEvent(call, event, false)) {
          call.once('drain', writeMore);
          return;
        }
      }
      done();
    };
    writeMore();
  }

  #sendEvent(call: ServerWritableStream<ReadReq, ReadResp>, event: StoredEvent, withoutPosition: boolean): boolean {
    const position = withoutPosition ? NO_POSITION : String(event.position);
    const recorded = new ReadRespMessage.ReadEvent.RecordedEvent()
      .setId(new UUID().setString(event.id))
      .setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(event.stream)))
      .setStreamRevision(String(event.revision))
      .setCommitPosition(position)
      .setPreparePosition(position)
      .setData(event.data)
      .setCustomMetadata(event.metadata);
    const metadata = recorded.getMetadataMap();
    metadata.set('type', event.type);
    metadata.set('content-type', event.contentType);
    metadata.set('created', String(BigInt(Date.now()) * 10_000n));
    const read = new ReadRespMessage.ReadEvent().setEvent(recorded);
    if (withoutPosition) read.setNoPosition(new Empty());
    else read.setCommitPosition(position);
    this.eventsSent++;
    return this.#send(call, new ReadRespMessage().setEvent(read));
  }

  #send(call: ServerWritableStream<ReadReq, ReadResp>, response: ReadResp): boolean {
    if (call.cancelled || !this.#openReads.has(call)) return true;
    return call.write(response);
  }

  #finish(call: ServerWritableStream<ReadReq, ReadResp>, error?: Partial<ServiceError>): void {
    if (!this.#openReads.has(call)) return;
    this.#forget(call);
    if (error) call.emit('error', error);
    else call.end();
  }

  #forget(call: ServerWritableStream<ReadReq, ReadResp>): void {
    this.#openReads.delete(call);
    for (const live of this.#live) if (live.call === call) this.#live.delete(live);
  }
}

function filterOf(options: ReadReq.Options.FilterOptions): (event: StoredEvent) => boolean {
  const on = options.getStreamIdentifier() ? 'stream' : 'type';
  const expression = options.getStreamIdentifier() ?? options.getEventType();
  const prefixes = expression?.getPrefixList() ?? [];
  const regex = expression?.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (event) => {
    const value = on === 'stream' ? event.stream : event.type;
    if (regex) return regex.test(value);
    return prefixes.some((prefix) => value.startsWith(prefix));
  };
}

function success(revision: number, position: number): AppendResp {
  const ok = new AppendRespMessage.Success()
    .setCurrentRevision(String(revision))
    .setPosition(new AppendRespMessage.Position().setCommitPosition(String(position)).setPreparePosition(String(position)));
  return new AppendRespMessage().setSuccess(ok);
}

/** An error as the server reports a command's failure: the `exception` trailer names it. */
function commandError(exception: string, fields: Record<string, string>): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set('exception', exception);
  for (const [key, value] of Object.entries(fields)) metadata.set(key, value);
  return { code: status.FAILED_PRECONDITION, details: exception, metadata };
}

function streamDeleted(stream: string): Partial<ServiceError> {
  return commandError('stream-deleted', { 'stream-name': stream });
}
