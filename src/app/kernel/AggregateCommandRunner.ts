/**
 * The one way the application runs a command against a stream: load the stream's state (from a
 * bounded cache, topped up with the events appended since, by this process or another), decide,
 * append with the revision the decision was taken on, and on WrongExpectedVersion read the new events
 * and decide again, a bounded number of times.
 *
 * Commands on one stream run one after the other in this process (KeyedSerializer: a promise chain
 * per stream, dropped once it drains), so they never race each other into a conflict; a conflict then only comes from
 * another process sharing the store, and the retry covers it.
 */
import type { Decider } from '../../domain/Decider.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { CountedEvents } from '../../adapters/eventstore/EventStore.ts';
import type { DomainEvent } from '../../domain/DomainEvent.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { EventMetadata, EventStore, NewEvent } from '../../adapters/eventstore/EventStore.ts';
import { WrongExpectedVersion } from '../../adapters/eventstore/EventStore.ts';
import { KeyedSerializer } from './KeyedSerializer.ts';
import { retryOnConflict } from './RetryOnConflict.ts';

export interface CommandResult<Event, State> {
  readonly events: readonly Event[];
  readonly state: State;
  /** The stream's revision after the command (-1 if the stream still does not exist). */
  readonly revision: number;
  /** The log position of the last appended event; undefined when the command appended nothing. */
  readonly position: number | undefined;
}

export interface RunOptions<State = unknown> {
  readonly metadata?: Partial<EventMetadata>;
  /**
   * The stream's state as the caller keeps it (a live view's), trusted: the command is decided on it
   * and appended at its revision without reading the stream, and what it decides (nothing, or a
   * refusal) stands. When the stream has moved on, the store refuses the append and the command runs
   * the usual way. The runner does not cache the outcome: the caller's copy is the cache.
   */
  readonly knownState?: { readonly state: State; readonly revision: number };
  /**
   * The caller expects the stream not to exist yet (a bulk import of new devices): decide on the
   * initial state and append with 'no_stream' without reading first. If the stream does exist, the
   * store refuses the append and the command runs the usual way, on the stream's real state.
   */
  readonly assumeNewStream?: boolean;
  /**
   * Which of the stream's events the state is folded from (all of them when absent). Such a state
   * depends on more than the stream's own events, so it is read whole every time and never cached.
   */
  readonly counted?: CountedEvents;
}

export interface AggregateCommandRunnerOptions {
  readonly store: EventStore;
  /** How many times a command is decided again after a concurrent append. */
  readonly retries?: number;
  /** How many streams' states are kept between commands, the least recently used dropped first. */
  readonly cachedStreams?: number;
}

/** A stream's state as last read or written, and the decider it was folded with. */
interface CachedState {
  readonly decider: object;
  readonly state: unknown;
  readonly revision: number;
}

export class AggregateCommandRunner {
  readonly #store: EventStore;
  readonly #retries: number;
  readonly #cachedStreams: number;
  /** Insertion order is use order: the first key is the least recently used. */
  readonly #cache = new Map<string, CachedState>();
  /** A failed command fails its own caller only; the next one on the stream starts from the store's state. */
  readonly #serializer = new KeyedSerializer();

  constructor(options: AggregateCommandRunnerOptions) {
    this.#store = options.store;
    this.#retries = options.retries ?? 3;
    this.#cachedStreams = options.cachedStreams ?? 10_000;
  }

  /** Runs the command after every command already queued on the same stream. */
  run<Command, Event extends DomainEvent, State>(
    stream: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: RunOptions<State> = {},
  ): Promise<CommandResult<Event, State>> {
    const known = options.knownState;
    if (known !== undefined) return this.#serializer.run(stream, () => this.#appendAtKnownState(stream, decider, command, options, known));
    return this.#serializer.run(stream, () => this.#decideAndAppend(stream, decider, command, options));
  }

  async #decideAndAppend<Command, Event extends DomainEvent, State>(
    stream: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: RunOptions<State>,
  ): Promise<CommandResult<Event, State>> {
    if (options.assumeNewStream === true && !this.#cache.has(stream)) {
      const result = await this.#appendToNewStream(stream, decider, command, options);
      if (result) return result;
    }
    return retryOnConflict(this.#retries + 1, async (): Promise<CommandResult<Event, State>> => {
      const { state, revision } = await this.#load(stream, decider, options.counted);
      const events = decider.decide(command, state);
      if (events.length === 0) return { events, state, revision, position: undefined };
      const appended = await this.#store.appendToStream(stream, events.map((event) => toNewEvent(event, options)), revision === -1 ? 'no_stream' : revision);
      const next = events.reduce((s, e) => decider.evolve(s, e), state);
      if (options.counted === undefined) this.#remember(stream, { decider, state: next, revision: appended.nextExpectedRevision });
      return { events, state: next, revision: appended.nextExpectedRevision, position: appended.position };
    });
  }

  /**
   * The stream's state as a command would be decided on (cached, topped up with what was appended
   * since), without deciding anything: for reads that must see the stream's latest events. Waits for
   * the commands already queued on the stream.
   */
  load<Command, Event extends DomainEvent, State>(
    stream: string,
    decider: Decider<Command, Event, State>,
    options: { readonly counted?: CountedEvents } = {},
  ): Promise<{ state: State; revision: number }> {
    return this.#serializer.run(stream, () => this.#load(stream, decider, options.counted));
  }

  /** The cached state topped up with the events appended after it, or the whole stream folded. */
  async #load<Command, Event extends DomainEvent, State>(
    stream: string,
    decider: Decider<Command, Event, State>,
    counted: CountedEvents | undefined,
  ): Promise<{ state: State; revision: number }> {
    const cached = counted === undefined ? this.#cache.get(stream) : undefined;
    // A state folded by another decider from the same stream is not this decider's state.
    const from = cached?.decider === decider ? cached : undefined;
    let state = from === undefined ? decider.initialState : (from.state as State);
    let revision = from?.revision ?? -1;
    const read = await this.#store.readStream(stream, { fromRevision: revision + 1 });
    if (read.status === 'found' && read.events.length > 0) {
      revision = read.events.at(-1)?.revision ?? revision;
      for (const recorded of counted ? await counted(read.events) : read.events) state = decider.evolve(state, toDomainEvent<Event>(recorded));
    }
    if (counted === undefined) this.#remember(stream, { decider, state, revision });
    return { state, revision };
  }

  #remember(stream: string, entry: CachedState): void {
    this.#cache.delete(stream);
    this.#cache.set(stream, entry);
    if (this.#cache.size <= this.#cachedStreams) return;
    const oldest = this.#cache.keys().next();
    if (oldest.done !== true) this.#cache.delete(oldest.value);
  }

  /**
   * The `knownState` shortcut; when the stream has moved on since that state, the command runs the
   * usual way. Not an async function awaiting the append: every keep-alive Update passes here, and the
   * append's own promise with one reaction is the least this path can allocate.
   */
  #appendAtKnownState<Command, Event extends DomainEvent, State>(
    stream: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: RunOptions<State>,
    known: { readonly state: State; readonly revision: number },
  ): Promise<CommandResult<Event, State>> {
    // A decider that throws here fails its caller only: the serializer turns a task's throw into its rejection.
    const events = decider.decide(command, known.state);
    if (events.length === 0) return Promise.resolve({ events, state: known.state, revision: known.revision, position: undefined });
    return this.#store.appendToStream(stream, events.map((event) => toNewEvent(event, options)), known.revision === -1 ? 'no_stream' : known.revision).then(
      (appended) => ({ events, state: events.reduce((s, e) => decider.evolve(s, e), known.state), revision: appended.nextExpectedRevision, position: appended.position }),
      (error: unknown) => {
        if (error instanceof WrongExpectedVersion) return this.#decideAndAppend(stream, decider, command, options);
        throw error;
      },
    );
  }

  /**
   * The `assumeNewStream` shortcut. Undefined when it does not apply: the stream exists, or the command
   * decides nothing (or fails) on the initial state, which only its real state can confirm.
   */
  async #appendToNewStream<Command, Event extends DomainEvent, State>(
    stream: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: RunOptions<State>,
  ): Promise<CommandResult<Event, State> | undefined> {
    let events: Event[];
    try {
      events = decider.decide(command, decider.initialState);
    } catch {
      return undefined;
    }
    if (events.length === 0) return undefined;
    try {
      const appended = await this.#store.appendToStream(stream, events.map((event) => toNewEvent(event, options)), 'no_stream');
      const state = events.reduce((s, e) => decider.evolve(s, e), decider.initialState);
      if (options.counted === undefined) this.#remember(stream, { decider, state, revision: appended.nextExpectedRevision });
      return { events, state, revision: appended.nextExpectedRevision, position: appended.position };
    } catch (error) {
      if (error instanceof WrongExpectedVersion) return undefined;
      throw error;
    }
  }
}

function toNewEvent<State>(event: DomainEvent, options: RunOptions<State>): NewEvent {
  return { type: event.type, data: event.data as JsonValue, metadata: options.metadata };
}
