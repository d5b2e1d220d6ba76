/**
 * The one reader of the log that keeps live state in this process: a single unfiltered subscription
 * whose events go, in memory, to every member whose filter takes them, in batches of what the
 * subscription hands over at once (a page being drained, or a burst of appends).
 *
 * The subscription starts at the head of the log at the first join, so that no member pays at
 * start-up for the events it does not read (telemetry, mostly). A member joins from a position of its
 * own. Ahead of the feed, it is handed only the events after it. Behind the feed, it first reads the
 * log itself, filtered to what it reads, up to a head taken before the read, and joins once that head
 * has reached the feed's position: between two awaits the feed cannot move, so no event falls between
 * the member's catch-up and the feed. The projector is one member for all the read models, and lets
 * each projection join its share of the feed by the same rule.
 */
import type { EventFilter, EventStore, RecordedEvent, Subscription } from '../../adapters/eventstore/EventStore.ts';
import { matchesFilter } from '../../adapters/eventstore/EventStore.ts';

export interface FeedMember {
  /** Which events it reads; every event when absent. */
  readonly filter: EventFilter | undefined;
  /**
   * Takes the events it reads (possibly none) up to `through`, the position it has now seen past the
   * events it does not read. Synchronous: a member's state moves at once with the feed.
   */
  deliver(events: readonly RecordedEvent[], through: number): void;
  /**
   * Turns the events it reads into the events it takes, before `deliver`, when an event stands for
   * others to read from the log (an import's commit stands for the events it staged earlier). The feed
   * awaits it, so every member after this one waits too: for members whose expansions are rare.
   */
  expand?(events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]>;
  /** The feed stopped (the store failed or closed): nothing more will be delivered. */
  stopped(error: Error): void;
}

export interface LogFeedOptions {
  readonly store: EventStore;
  /** Most events per batch, and per page of a member's catch-up. */
  readonly maxBatch?: number;
}

interface Membership {
  readonly member: FeedMember;
  /** The position it has seen through. */
  seen: number;
}

export class LogFeedStopped extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LogFeedStopped';
  }
}

export class LogFeed {
  readonly #store: EventStore;
  readonly #maxBatch: number;
  readonly #members = new Map<FeedMember, Membership>();
  #subscription: Subscription | undefined;
  /** The first join starts the subscription at the head: each member reads its own history, filtered. */
  #starting: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  /** The position of the last event handed over (the start, before the first). */
  #position = 0;
  #failure: Error | undefined;
  #closed = false;

  constructor(options: LogFeedOptions) {
    this.#store = options.store;
    this.#maxBatch = options.maxBatch ?? 500;
  }

  /** The position of the last event the feed has handed to its members. */
  get position(): number {
    return this.#position;
  }

  /**
   * Adds a member that has seen the log through `after` (0: nothing). Resolves once it is in the
   * feed, its catch-up delivered.
   */
  async join(member: FeedMember, after = 0): Promise<void> {
    this.#check();
    this.#starting ??= this.#store.headPosition().then((head) => this.#start(head));
    await this.#starting;
    this.#check();
    let seen = after;
    while (seen < this.#position) {
      const head = await this.#store.headPosition();
      seen = await this.#catchUp(member, seen, head);
      this.#check();
    }
    this.#members.set(member, { member, seen });
  }

  leave(member: FeedMember): void {
    this.#members.delete(member);
  }

  /** Ends the subscription; members hear `stopped`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscription?.close();
    await this.#loop;
    this.#stop(new LogFeedStopped('the log feed was closed'));
  }

  /** Reads what the member reads after `seen` up to `head`, page by page; returns the new `seen`. */
  async #catchUp(member: FeedMember, seen: number, head: number): Promise<number> {
    let after = seen;
    for (;;) {
      const page = await this.#store.readAll({ after, maxCount: this.#maxBatch, filter: member.filter });
      const events = page.filter((event) => event.position <= head);
      const last = events.at(-1);
      if (events.length < page.length || page.length < this.#maxBatch || last === undefined) {
        member.deliver(await expanded(member, events), Math.max(head, after));
        return Math.max(head, after);
      }
      member.deliver(await expanded(member, events), last.position);
      after = last.position;
    }
  }

  #check(): void {
    if (this.#failure) throw new LogFeedStopped('the log feed has stopped', { cause: this.#failure });
    if (this.#closed) throw new LogFeedStopped('the log feed was closed');
  }

  #start(after: number): void {
    this.#position = after;
    const subscription = this.#store.subscribeToAll({ after });
    this.#subscription = subscription;
    this.#loop = this.#run(subscription).catch((error: unknown) => {
      this.#stop(error instanceof Error ? error : new Error(String(error)));
    });
  }

  async #run(subscription: Subscription): Promise<void> {
    const events = subscription[Symbol.asyncIterator]();
    let batch: RecordedEvent[] = [];
    let handing: Promise<void> = Promise.resolve();
    // A batch is what the subscription hands over within one turn of the event loop, up to a batch:
    // appends committed one after another in the same turn (a burst of requests on an in-process
    // store) make one batch, so a member such as the projector commits them at once. Each event costs
    // one await of the subscription; the turn's end is one setImmediate per batch.
    const handOver = (): void => {
      const taken = batch;
      batch = [];
      if (taken.length === 0) return;
      handing = handing.then(() => this.#hand(taken));
      // A failure while the loop waits for the next event stops the feed now, not at that event.
      handing.catch((error: unknown) => this.#stop(error instanceof Error ? error : new Error(String(error))));
    };
    for (;;) {
      const next = await events.next();
      if (next.done === true) break;
      if (batch.length === 0) {
        // The previous batch is handed over before a new one is gathered: at most one batch waits.
        await handing;
        setImmediate(handOver);
      }
      batch.push(next.value);
      if (batch.length >= this.#maxBatch) {
        handOver();
        await handing;
      }
    }
    handOver();
    await handing;
  }

  /**
   * Hands a batch to each member in turn. The feed's position moves only once every member has it:
   * a member joining while an expansion is awaited is still behind the batch, and the loop below, which
   * sees members added while it runs, hands it over.
   */
  async #hand(batch: readonly RecordedEvent[]): Promise<void> {
    const through = batch[batch.length - 1]?.position ?? this.#position;
    for (const membership of this.#members.values()) {
      if (membership.seen >= through) continue;
      const { member } = membership;
      const taken = takenBy(member.filter, batch, membership.seen);
      membership.seen = through;
      try {
        const events = member.expand === undefined || taken.length === 0 ? taken : await member.expand(taken);
        // It may have left, or the feed stopped, while the expansion was read.
        if (this.#members.get(member) !== membership) continue;
        member.deliver(events, through);
      } catch (error) {
        // A failing member stops alone; the others go on.
        this.#members.delete(membership.member);
        membership.member.stopped(error instanceof Error ? error : new Error(String(error)));
      }
    }
    this.#position = through;
  }

  #stop(error: Error): void {
    this.#failure ??= error;
    for (const { member } of this.#members.values()) member.stopped(error);
    this.#members.clear();
  }
}

/**
 * The events of the batch after `seen` that the filter takes. Every member looks at every batch (a
 * notification's event passes the registrations, operations and observations views on its way to the
 * projector): a member that takes the whole batch gets it as it is, and one that takes none gets no
 * array of its own.
 */
function takenBy(filter: EventFilter | undefined, batch: readonly RecordedEvent[], seen: number): readonly RecordedEvent[] {
  const first = batch[0];
  if (filter === undefined && first !== undefined && first.position > seen) return batch;
  let taken: RecordedEvent[] | undefined;
  for (const event of batch) {
    if (event.position > seen && matchesFilter(filter, event.stream, event.type)) (taken ??= []).push(event);
  }
  return taken ?? noEvents;
}

const noEvents: readonly RecordedEvent[] = [];

function expanded(member: FeedMember, events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> | readonly RecordedEvent[] {
  return member.expand === undefined || events.length === 0 ? events : member.expand(events);
}
