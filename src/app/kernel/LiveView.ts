/**
 * In-memory state kept from the log: a filter and an evolve, fed by the process's one LogFeed from the
 * start of the log, then live. `waitFor(position)` is the one way to wait until a write is visible in
 * the view: a command returns the position of what it appended, and a reader that must see it waits
 * for that position.
 */
import type { EventFilter, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import type { FeedMember, LogFeed } from './LogFeed.ts';
import { LogFeedStopped } from './LogFeed.ts';

export interface LiveViewDefinition<State> {
  /** Names the view in errors and logs. */
  readonly name: string;
  /** Which events the view reads; every event when absent. */
  readonly filter?: EventFilter;
  readonly initialState: State;
  /** Folds one event into the state; may return the same object changed in place. */
  evolve(state: State, event: RecordedEvent): State;
  /**
   * Reads, before they are folded, the events some events stand for (LogFeed's `expand`): an import's
   * commit becomes the events it staged, read back from the log. Absent: the events are folded as read.
   */
  readonly expand?: (events: readonly RecordedEvent[]) => Promise<readonly RecordedEvent[]>;
}

export class LiveViewTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveViewTimeout';
  }
}

interface Waiter {
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class LiveView<State> implements FeedMember {
  readonly name: string;
  readonly filter: EventFilter | undefined;
  readonly expand: ((events: readonly RecordedEvent[]) => Promise<readonly RecordedEvent[]>) | undefined;
  readonly #evolve: (state: State, event: RecordedEvent) => State;
  #state: State;
  #position = 0;
  #failure: Error | undefined;
  /**
   * Waiters for positions not seen yet, in position order, each removed when it settles: a delivery
   * settles a prefix and looks at no other waiter (hundreds wait at once under load, each for its
   * own write, and they come mostly in position order, so keeping the order costs a push).
   */
  readonly #waiters: Waiter[] = [];

  /** Builds the view and joins it to the feed from the start of the log; resolves once it has caught up with the feed. */
  static async open<State>(feed: LogFeed, definition: LiveViewDefinition<State>): Promise<LiveView<State>> {
    const view = new LiveView(definition);
    await feed.join(view, 0);
    return view;
  }

  private constructor(definition: LiveViewDefinition<State>) {
    this.name = definition.name;
    this.filter = definition.filter;
    this.expand = definition.expand;
    this.#evolve = (state, event) => definition.evolve(state, event);
    this.#state = definition.initialState;
  }

  get state(): State {
    return this.#state;
  }

  /** The log position the view has seen through. */
  get position(): number {
    return this.#position;
  }

  /**
   * Resolves once the view has seen the log through `position` (a position a command returned, or
   * the store's head). Rejects if the feed stops, or with LiveViewTimeout when `signal` aborts first.
   */
  waitFor(position: number, signal?: AbortSignal): Promise<void> {
    if (this.#position >= position) return Promise.resolve();
    if (this.#failure) return Promise.reject(this.#stoppedError());
    // Without a signal there is nothing to detach: the hot path (a command waiting for its own write) allocates no closures of its own.
    if (signal === undefined) return new Promise<void>((resolve, reject) => this.#wait({ position, resolve, reject }));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new LiveViewTimeout(`live view ${this.name} has not seen position ${position} (it is at ${this.#position})`));
      };
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      const waiter: Waiter = {
        position,
        resolve: () => {
          settle();
          resolve();
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      if (signal?.aborted === true) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wait(waiter);
    });
  }

  deliver(events: readonly RecordedEvent[], through: number): void {
    for (const event of events) this.#state = this.#evolve(this.#state, event);
    this.#position = Math.max(this.#position, through);
    let seen = 0;
    while (seen < this.#waiters.length && (this.#waiters[seen]?.position ?? Infinity) <= this.#position) seen++;
    if (seen === 0) return;
    for (const waiter of this.#waiters.splice(0, seen)) waiter.resolve();
  }

  stopped(error: Error): void {
    this.#failure = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#stoppedError());
  }

  /**
   * Queues a waiter in position order, after those waiting for the same position. Found by halving
   * rather than by walking back from the end: under a burst hundreds wait at once and replies settle
   * out of position order, so a walk back took longer than the request it waited for.
   */
  #wait(waiter: Waiter): void {
    let low = 0;
    let high = this.#waiters.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#waiters[middle]?.position ?? 0) > waiter.position) high = middle;
      else low = middle + 1;
    }
    if (low === this.#waiters.length) this.#waiters.push(waiter);
    else this.#waiters.splice(low, 0, waiter);
  }

  #stoppedError(): LogFeedStopped {
    return new LogFeedStopped(`live view ${this.name} has stopped`, { cause: this.#failure });
  }
}
