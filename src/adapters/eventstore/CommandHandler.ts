/**
 * Runs a command through a decider against one stream: read the stream, fold it into state, decide,
 * append with the revision that was read. A concurrent writer makes the append fail with
 * WrongExpectedVersion; the handler then retries from a fresh read, so the decision is always taken on
 * the latest state.
 */
import type { Decider } from '../../domain/Decider.ts';
import type { DomainEvent } from '../../domain/DomainEvent.ts';
import type { CountedEvents, EventMetadata, EventStore, NewEvent } from './EventStore.ts';
import { toDomainEvent, WrongExpectedVersion } from './EventStore.ts';
import type { JsonValue } from '../../domain/Json.ts';

export interface HandleResult<Event, State> {
  readonly events: readonly Event[];
  readonly state: State;
  /** The stream's revision after the command (-1 if the stream still does not exist). */
  readonly revision: number;
  /** The global position of the last appended event, or undefined when nothing was appended. */
  readonly position: number | undefined;
}

export interface HandleOptions {
  readonly metadata?: Partial<EventMetadata>;
  /** How many times to retry on a concurrent append. */
  readonly retries?: number;
  /**
   * The caller expects the stream not to exist yet (a bulk import of new devices): decide on the
   * initial state and append with 'no_stream' without reading first. If the stream does exist, the
   * store refuses the append and the command runs the usual way, on the stream's real state.
   */
  readonly assumeNewStream?: boolean;
  /** Which of the stream's events the state is folded from (all of them when absent). */
  readonly counted?: CountedEvents;
}

/** Reads a whole stream and folds the events that count; returns the state and the last revision (-1 if none). */
export async function loadAggregate<Command, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  counted?: CountedEvents,
): Promise<{ state: State; revision: number }> {
  const result = await store.readStream(stream);
  let state = decider.initialState;
  let revision = -1;
  if (result.status === 'found') {
    revision = result.events.at(-1)?.revision ?? -1;
    for (const recorded of counted ? await counted(result.events) : result.events) state = decider.evolve(state, toDomainEvent<Event>(recorded));
  }
  return { state, revision };
}

export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleOptions = {},
): Promise<HandleResult<Event, State>> {
  const retries = options.retries ?? 3;
  if (options.assumeNewStream === true) {
    const result = await appendToNewStream(store, stream, decider, command, options);
    if (result) return result;
  }
  for (let attempt = 0; ; attempt++) {
    const { state, revision } = await loadAggregate(store, stream, decider, options.counted);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, revision, position: undefined };
    try {
      const appended = await store.appendToStream(
        stream,
        events.map((event) => toNewEvent(event, options)),
        revision === -1 ? 'no_stream' : revision,
      );
      const next = events.reduce((s, e) => decider.evolve(s, e), state);
      return { events, state: next, revision: appended.nextExpectedRevision, position: appended.position };
    } catch (error) {
      if (error instanceof WrongExpectedVersion && attempt < retries) continue;
      throw error;
    }
  }
}

/**
 * The `assumeNewStream` shortcut. Undefined when it does not apply: the stream exists, or the command
 * decides nothing (or fails) on the initial state, which only its real state can confirm.
 */
async function appendToNewStream<Command, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleOptions,
): Promise<HandleResult<Event, State> | undefined> {
  let events: Event[];
  try {
    events = decider.decide(command, decider.initialState);
  } catch {
    return undefined;
  }
  if (events.length === 0) return undefined;
  try {
    const appended = await store.appendToStream(stream, events.map((event) => toNewEvent(event, options)), 'no_stream');
    const state = events.reduce((s, e) => decider.evolve(s, e), decider.initialState);
    return { events, state, revision: appended.nextExpectedRevision, position: appended.position };
  } catch (error) {
    if (error instanceof WrongExpectedVersion) return undefined;
    throw error;
  }
}

function toNewEvent(event: DomainEvent, options: HandleOptions): NewEvent {
  return { type: event.type, data: event.data as JsonValue, metadata: options.metadata };
}
