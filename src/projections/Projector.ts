/**
 * Runs each projection from its own checkpoint, kept in SQLite beside the read models.
 *
 * Exactly once across crashes: a batch of events and the checkpoint after them are written in one
 * SQLite transaction, so after a crash the projection resumes from the last committed checkpoint and
 * neither loses nor repeats an event.
 *
 * A projection behind the head catches up on its own, reading the log in pages filtered to what it
 * reads, one transaction per page. Once it has caught up it is served by the process's one log feed:
 * the projector is a single member of that feed, and each batch the feed hands over (what the log
 * hands over at once: a lone live event is a batch of one, so listeners hear of an append within
 * milliseconds) is one transaction for every caught-up projection, each projection's events and
 * checkpoint in a savepoint of its own, so a failing read model is rolled back and stops alone. The
 * log is then read once per append for all read models and all other live state of the process.
 *
 * Group commit: the fleet's steady flow of values (the events only `groupCommit` read models read:
 * reported values, measurements) is committed at most once per `groupCommitMs`. A batch of the feed
 * that comes after a quiet spell is committed at once; one that comes within `groupCommitMs` of the
 * last commit is held and committed with those after it when that time is up (at once when
 * `maxBatch` events are held, or when an event comes that another read model reads). Under load the
 * feed hands over the appends of each store commit as they come, a few events each; one read-model
 * transaction per few events cost about twice the CPU per event of one per tens of events (the
 * per-transaction work: BEGIN, a savepoint per read model, every checkpoint row, the commit's WAL
 * writes; see BENCHMARKS.md). The events stay in log order and each keeps its own row; listeners hear
 * of them after the commit, so under load at most `groupCommitMs` later. Other events are committed
 * as they come, as before: their listeners read states (an operation's) that a later event changes
 * again, and would not hear the states in between if those were committed together. What is held is
 * committed before the projector stops or leaves the feed; a crash loses it from the read models
 * only, and the projection catches up on it from its checkpoint at the next start.
 *
 * A projection joins the feed only when it has applied every event it reads up to the position the
 * feed has handed over (no await between that check and the join, so the feed cannot move in
 * between); the feed then gives it only the events after its checkpoint, and moves its checkpoint to
 * the end of every batch, past the events it does not read.
 */
import type { DatabaseSync } from 'node:sqlite';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { EventFilter, EventStore, RecordedEvent } from '../adapters/eventstore/EventStore.ts';
import { matchesFilter } from '../adapters/eventstore/EventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import type { Projection } from './Projection.ts';
import type { ReadModelDatabase, ReadModelReplacement } from './ReadModelDatabase.ts';

export interface ProjectedEvent {
  readonly projection: string;
  readonly event: RecordedEvent;
}

export type ProjectionListener = (change: ProjectedEvent) => void;

export interface RebuildResult {
  readonly events: number;
  readonly position: number;
  readonly durationMs: number;
}

export interface ProjectionStatus {
  readonly name: string;
  /**
   * How far it has seen the log: it has applied every event it reads up to here. Once it shares the
   * feed, this is the feed's position, past the events it does not read.
   */
  readonly checkpoint: number;
  /** Whether it has applied every event it reads up to the head of the log. */
  readonly caughtUp: boolean;
  /** When the oldest event it reads and has not applied yet was recorded; null when caught up. */
  readonly oldestUnappliedAt: Date | null;
  /** Why it stopped, when it has. */
  readonly failure: string | null;
}

export interface ProjectorStatus {
  readonly head: number;
  readonly rebuilding: boolean;
  readonly projections: readonly ProjectionStatus[];
}

/** A reader of the log's live tail, as a member of the process's log feed. */
export interface LogFeedMember {
  /** Which events it reads; every event when absent. */
  readonly filter: EventFilter | undefined;
  /** Takes the events it reads (possibly none) up to `through`; synchronous: a batch is committed in one transaction, alone or with the next ones (group commit). */
  deliver(events: readonly RecordedEvent[], through: number): void;
  /** The feed stopped: nothing more will be delivered. */
  stopped(error: Error): void;
}

/**
 * The process's one reader of the log, which the application layer provides (its kernel's LogFeed):
 * declared here because read models sit below the application layer and must not import it.
 */
export interface LogFeedPort {
  /** Resolves once the member, having seen the log through `after`, is in the feed. */
  join(member: LogFeedMember, after: number): Promise<void>;
  leave(member: LogFeedMember): void;
}

export interface ProjectorOptions {
  readonly store: EventStore;
  /** The process's log feed: the projector reads the live tail of the log through it. */
  readonly feed: LogFeedPort;
  readonly database: ReadModelDatabase;
  readonly projections: readonly Projection[];
  readonly logger: Logger;
  /** Most events per transaction while a projection catches up, and held for a group commit. */
  readonly maxBatch?: number;
  /**
   * The shortest time between two commits of the live tail: what the feed hands over sooner waits and
   * shares the next transaction (group commit); 0 commits each batch of the feed as it comes. 2 ms by
   * default.
   */
  readonly groupCommitMs?: number;
  /**
   * Events per page, and per transaction, while a rebuild reads the whole log; the live service waits
   * for each page's transaction (about 10 ms at 1,000 events, no more CPU in all than at 5,000).
   */
  readonly rebuildPage?: number;
  /** How often a long catch-up logs its progress. */
  readonly progressIntervalMs?: number;
  /** How long `waitFor` waits before giving up. */
  readonly waitTimeoutMs?: number;
  /** The first wait before the start-up check of the store is tried again; it doubles up to 30 s. */
  readonly startRetryMs?: number;
}

interface Runner {
  readonly projection: Projection;
  checkpoint: number;
  /** Its catch-up, until it is served by the feed. */
  loop: Promise<void> | undefined;
  failure: Error | undefined;
  /** Events applied since this runner started, for progress logs. */
  applied: number;
  /** Listeners have heard of the events it reads up to here (from the read model a rebuild replaced). */
  toldThrough: number;
}

export class ProjectorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProjectorError';
  }
}

/** How often the checkpoints of read models that read none of the feed's batches are written (`#commitFeedBatch`). */
const idleCheckpointIntervalMs = 1000;

export class Projector {
  readonly #store: EventStore;
  readonly #feed: LogFeedPort;
  readonly #member: LogFeedMember;
  /** The position the feed has handed over to this projector; undefined while it is not a member. */
  #feedSeen: number | undefined;
  /** Why the feed stopped, when it has: a projection cannot join it then. */
  #feedFailure: Error | undefined;
  /** The caught-up runners, which the feed serves. */
  readonly #members = new Set<Runner>();
  readonly #database: ReadModelDatabase;
  readonly #logger: Logger;
  readonly #runners: Runner[];
  readonly #listeners = new Set<ProjectionListener>();
  /** Woken after every commit and on failure: `waitFor` re-checks its condition. */
  #progressWaiters = new Set<() => void>();
  readonly #maxBatch: number;
  readonly #groupCommitMs: number;
  /** The feed's events handed over and not yet committed (group commit), through `#heldThrough`. */
  #held: RecordedEvent[] = [];
  #heldThrough = 0;
  #heldTimer: NodeJS.Timeout | undefined;
  /** When the live tail was last committed (performance.now()). */
  #lastCommitAt = Number.NEGATIVE_INFINITY;
  /** When every member's checkpoint was last written, those of members that read none of the batch too (performance.now()). */
  #checkpointsSavedAt = Number.NEGATIVE_INFINITY;
  /** Whether a member's checkpoint has moved past the one written for it since then. */
  #checkpointsBehind = false;
  readonly #progressIntervalMs: number;
  readonly #waitTimeoutMs: number;
  #started = false;
  /** Set while the runners are being stopped: nothing joins the feed then. */
  #stopping = false;
  #rebuilding: Promise<RebuildResult> | undefined;
  /** Set by `close`: a rebuild in progress gives up. */
  #closing = false;
  readonly #rebuildPage: number;
  /** The start-up check of the store's identity, after which the runners start. */
  #starting: Promise<void> | undefined;
  #startAbort: AbortController | undefined;
  /** Set once the start-up check of the store's identity has passed. */
  #storeChecked = false;
  readonly #startRetryMs: number;
  #identityRecording: Promise<void> | undefined;
  #identityRecorded = false;

  constructor(options: ProjectorOptions) {
    this.#store = options.store;
    this.#feed = options.feed;
    this.#member = {
      filter: undefined,
      deliver: (events, through) => this.#deliver(events, through),
      stopped: (error) => this.#feedStopped(error),
    };
    this.#database = options.database;
    this.#logger = options.logger.child({ component: 'projector' });
    this.#maxBatch = options.maxBatch ?? 500;
    this.#groupCommitMs = options.groupCommitMs ?? 2;
    this.#rebuildPage = options.rebuildPage ?? 1000;
    this.#progressIntervalMs = options.progressIntervalMs ?? 2000;
    this.#waitTimeoutMs = options.waitTimeoutMs ?? 30_000;
    this.#startRetryMs = options.startRetryMs ?? 1000;
    const names = new Set<string>();
    this.#runners = options.projections.map((projection) => {
      if (names.has(projection.name)) throw new ProjectorError(`two projections are named ${projection.name}`);
      names.add(projection.name);
      return { projection, checkpoint: 0, loop: undefined, failure: undefined, applied: 0, toldThrough: 0 };
    });
  }

  /**
   * Creates missing tables, rebuilds read models of an older version or projected from another event
   * store, and starts every projection.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const db = this.#database.db;
    for (const runner of this.#runners) {
      const { projection } = runner;
      const stored = this.#database.checkpoint(projection.name);
      this.#database.transaction(() => {
        if (stored && stored.version !== projection.version) {
          this.#logger.info({ projection: projection.name, from: stored.version, to: projection.version }, 'read model version changed: rebuilding');
          projection.drop(db);
          this.#database.deleteCheckpoint(projection.name);
        }
        createReadModel(projection, db);
      });
      runner.checkpoint = stored && stored.version === projection.version ? stored.position : 0;
    }
    const abort = new AbortController();
    this.#startAbort = abort;
    this.#starting = this.#checkStoreIdentityUntilDone(abort.signal).then(async () => {
      if (!this.#started || abort.signal.aborted) return;
      await this.#startRunners(() => this.#started && !abort.signal.aborted);
    });
  }

  /** Joins the feed if it is not a member yet, then starts every runner (unless `stillWanted` says no more). */
  async #startRunners(stillWanted: () => boolean): Promise<void> {
    try {
      await this.#joinFeed();
    } catch (error) {
      for (const runner of this.#runners) this.#stopped(runner, error);
      return;
    }
    if (!stillWanted()) return;
    for (const runner of this.#runners) this.#startRunner(runner);
    this.#wakeWaiters();
  }

  /**
   * The projector joins from the head of the log: what lies before it, each projection reads on its
   * own while it catches up.
   */
  async #joinFeed(): Promise<void> {
    if (this.#feedSeen !== undefined) return;
    if (this.#feedFailure) throw this.#feedFailure;
    const head = await this.#store.headPosition();
    this.#feedSeen = head;
    try {
      await this.#feed.join(this.#member, head);
    } catch (error) {
      this.#feedSeen = undefined;
      throw error;
    }
  }

  #leaveFeed(): void {
    this.#feed.leave(this.#member);
    this.#feedSeen = undefined;
  }

  /**
   * The store may be unreachable at start (a remote one): the check is tried again, after a back-off
   * that doubles up to 30 s, until it succeeds or the projector closes. Nothing is projected meanwhile.
   */
  async #checkStoreIdentityUntilDone(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.#checkStoreIdentity();
        this.#storeChecked = true;
        return;
      } catch (error) {
        const delayMs = Math.min(30_000, this.#startRetryMs * 2 ** Math.min(attempt - 1, 20));
        this.#logger.warn({ err: error, attempt, delayMs }, 'cannot check which event store the read models come from: trying again');
        // An abort (the projector closing) ends the wait early: its rejection is the signal, not an error.
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /**
   * Checkpoints are positions in one store's log: read models projected from another store (another
   * SQLite file, another EventStoreDB database) are dropped and rebuilt from this one. A store is
   * known by the id of its first event, which no other log shares. Read models with progress but no
   * recorded identity (written before identities were recorded) are rebuilt too: nothing says where
   * they came from.
   */
  async #checkStoreIdentity(): Promise<void> {
    const identity = await this.#firstEventId();
    const recorded = this.#database.storeIdentity();
    const progressed = this.#runners.some((runner) => runner.checkpoint > 0);
    if (recorded === undefined ? progressed : recorded !== identity) {
      this.#logger.warn({ recorded, identity }, 'read models were projected from another event store: rebuilding');
      this.#dropReadModels();
    }
    this.#saveStoreIdentity(identity);
  }

  #saveStoreIdentity(identity: string | undefined): void {
    this.#database.saveStoreIdentity(identity);
    this.#identityRecorded = identity !== undefined;
  }

  /** Undefined while the log is empty: the identity is then recorded after the first commit. */
  async #firstEventId(): Promise<string | undefined> {
    const [first] = await this.#store.readAll({ maxCount: 1 });
    return first?.id;
  }

  /** Once the first event of a store that was empty at start has been projected: records its identity. */
  #recordIdentityOnce(): void {
    if (this.#identityRecorded || this.#identityRecording) return;
    this.#identityRecording = this.#firstEventId()
      .then((identity) => this.#saveStoreIdentity(identity))
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'could not record the event store identity: will try again'))
      .finally(() => (this.#identityRecording = undefined));
  }

  /** Drops every read model and its checkpoint, and creates the tables again, empty. */
  #dropReadModels(): void {
    const db = this.#database.db;
    this.#database.transaction(() => {
      for (const { projection } of this.#runners) {
        projection.drop(db);
        this.#database.deleteCheckpoint(projection.name);
        createReadModel(projection, db);
      }
    });
    for (const runner of this.#runners) {
      runner.checkpoint = 0;
      runner.failure = undefined;
    }
  }

  /** Hears of every event a projection has committed, right after the commit. Returns the unsubscribe. */
  onProjected(listener: ProjectionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Where each projection is in the log: the progress of a rebuild or of a catch-up. */
  async status(): Promise<ProjectorStatus> {
    const head = await this.#store.headPosition();
    const projections: ProjectionStatus[] = [];
    for (const runner of this.#runners) {
      const unapplied = await this.#firstUnapplied(runner, head);
      projections.push({
        name: runner.projection.name,
        checkpoint: runner.checkpoint,
        caughtUp: unapplied === undefined,
        oldestUnappliedAt: unapplied?.recordedAt ?? null,
        failure: runner.failure?.message ?? null,
      });
    }
    return { head, rebuilding: this.#rebuilding !== undefined, projections };
  }

  /**
   * Resolves once every projection has applied every event it reads up to `position` (read-your-writes
   * for a command that appended at `position`). A projection whose filter skips the events in between
   * is caught up although its checkpoint is lower: the store tells whether a matching event lies
   * between its checkpoint and `position`.
   */
  async waitFor(position: number, timeoutMs: number = this.#waitTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = this.#runners.find((r) => r.failure);
      if (failed) throw new ProjectorError(`projection ${failed.projection.name} has failed`, { cause: failed.failure });
      // Register before checking, so that a commit during the check still wakes us.
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.#progressWaiters.add(wake);
      try {
        if (await this.#caughtUp(position)) return;
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new ProjectorError(`read models did not reach position ${position} within ${timeoutMs} ms`);
        let timer: NodeJS.Timeout | undefined;
        // setTimeout takes at most 2^31 - 1 ms; a longer (or infinite) wait re-checks after that long.
        await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(remaining, 2 ** 31 - 1))))]);
        clearTimeout(timer);
      } finally {
        this.#progressWaiters.delete(wake);
      }
    }
  }

  async #caughtUp(position: number): Promise<boolean> {
    // Until the start-up check is done, the checkpoints may be positions in another store's log.
    if (this.#started && !this.#storeChecked) return false;
    for (const runner of this.#runners) {
      if (!(await this.#runnerCaughtUp(runner, position))) return false;
    }
    return true;
  }

  async #runnerCaughtUp(runner: Runner, position: number): Promise<boolean> {
    return (await this.#firstUnapplied(runner, position)) === undefined;
  }

  /** The first event up to `position` that the projection reads and has not applied, if any. */
  async #firstUnapplied(runner: Runner, position: number): Promise<RecordedEvent | undefined> {
    if (runner.checkpoint >= position) return undefined;
    const [next] = await this.#store.readAll({ after: runner.checkpoint, maxCount: 1, filter: runner.projection.filter });
    return next && next.position <= position ? next : undefined;
  }

  /**
   * Rebuilds every read model from the whole log into a replacement file while the live read models
   * keep answering and following the log, then swaps it in; resolves once the rebuilt read models have
   * reached the head of the log as it was when the rebuild began. A rebuild that fails leaves the live
   * file as it was. A second call during a rebuild shares the running one.
   */
  rebuild(): Promise<RebuildResult> {
    this.#rebuilding ??= this.#rebuild().finally(() => (this.#rebuilding = undefined));
    return this.#rebuilding;
  }

  async #rebuild(): Promise<RebuildResult> {
    const started = Date.now();
    const target = await this.#store.headPosition();
    this.#logger.info({ target }, 'rebuilding read models from the log');
    await this.#starting;
    const identity = await this.#firstEventId();
    const replacement = this.#database.startReplacement();
    let events: number;
    try {
      events = await this.#project(replacement, target);
      replacement.saveStoreIdentity(identity);
    } catch (error) {
      replacement.discard();
      throw error;
    }
    await this.#stopRunners();
    if (this.#closing) {
      replacement.discard();
      throw new ProjectorError('the projector closed during the rebuild');
    }
    try {
      this.#database.replaceWith(replacement);
    } catch (error) {
      // Not swapped (the replacement could not be written through, or renamed): the live read models
      // go on from where they stopped.
      replacement.discard();
      await this.#startRunners(() => this.#started);
      throw error;
    }
    for (const runner of this.#runners) {
      // Listeners have heard of what the live read model committed; its catch-up from the rebuilt
      // checkpoint does not tell them again.
      runner.toldThrough = Math.max(runner.toldThrough, runner.checkpoint);
      runner.checkpoint = target;
      runner.failure = undefined;
    }
    this.#identityRecorded = identity !== undefined;
    this.#storeChecked = true;
    this.#started = true;
    await this.#startRunners(() => this.#started);
    await this.waitFor(target, Number.POSITIVE_INFINITY);
    const result = { events, position: target, durationMs: Date.now() - started };
    this.#logger.info(result, 'read models rebuilt');
    return result;
  }

  /**
   * Projects the log up to `target` into the replacement, reading it once for every read model: each
   * page's events applied to every projection that reads them, each event's data decoded once, the
   * query indexes created once the rows are in. Returns how many events were applied, summed over the
   * read models.
   */
  async #project(replacement: ReadModelReplacement, target: number): Promise<number> {
    const { db } = replacement;
    for (const { projection } of this.#runners) projection.create(db);
    const progress = new ProgressLog(this.#logger, 'every read model', this.#progressIntervalMs, () => this.#store.headPosition());
    let position = 0;
    let applied = 0;
    while (position < target) {
      if (this.#closing) throw new ProjectorError('the projector closed during the rebuild');
      const page = await this.#store.readAll({ after: position, maxCount: this.#rebuildPage, withDataJson: true });
      const last = page[page.length - 1];
      if (!last) break;
      const events = last.position > target ? page.filter((event) => event.position <= target) : page;
      for (const { projection } of this.#runners) {
        const read = events.filter((event) => matchesFilter(projection.filter, event.stream, event.type));
        applyEvents(projection, db, read);
        applied += read.length;
      }
      position = last.position;
      progress.report(Math.min(position, target), applied);
      // A store that reads synchronously (SQLite) resolves every page at once: without a turn of the
      // event loop here, the live service would answer nothing (no query, no datagram) until the end.
      await nextTurn();
    }
    for (const { projection } of this.#runners) {
      createQueryIndexes(projection, db);
      replacement.saveCheckpoint(projection.name, { position: target, version: projection.version });
    }
    return applied;
  }

  async close(): Promise<void> {
    this.#started = false;
    this.#closing = true;
    await this.#rebuilding?.catch(() => undefined);
    this.#startAbort?.abort();
    await this.#starting;
    await this.#identityRecording;
    await this.#stopRunners();
    this.#leaveFeed();
    this.#wakeWaiters();
  }

  async #stopRunners(): Promise<void> {
    this.#stopping = true;
    try {
      this.#commitHeld();
      this.#saveCheckpointsBehind();
      this.#members.clear();
      await Promise.all(this.#runners.map((r) => r.loop ?? Promise.resolve()));
      for (const runner of this.#runners) runner.loop = undefined;
    } finally {
      this.#stopping = false;
    }
  }

  #startRunner(runner: Runner): void {
    runner.applied = 0;
    runner.loop = this.#catchUp(runner).catch((error: unknown) => this.#stopped(runner, error));
  }

  #stopped(runner: Runner, error: unknown): void {
    this.#members.delete(runner);
    runner.failure = error instanceof Error ? error : new Error(String(error));
    this.#logger.error({ err: error, projection: runner.projection.name, checkpoint: runner.checkpoint }, 'projection stopped on an error');
    this.#wakeWaiters();
  }

  /**
   * Applies, a page per transaction, what the projection reads up to a head taken before the reads,
   * until that head has reached what the feed has handed over; then the feed serves it. Between the
   * last read and the join there is no await, so no event falls between its catch-up and the feed.
   */
  async #catchUp(runner: Runner): Promise<void> {
    const { filter } = runner.projection;
    const progress = new ProgressLog(this.#logger, runner.projection.name, this.#progressIntervalMs, () => this.#store.headPosition());
    for (;;) {
      const head = await this.#store.headPosition();
      for (;;) {
        if (this.#stopping) return;
        const page = await this.#store.readAll({ after: runner.checkpoint, maxCount: this.#maxBatch, filter, withDataJson: true });
        if (this.#stopping) return;
        const events = page.filter((event) => event.position <= head);
        const last = events[events.length - 1];
        const more = last !== undefined && events.length === this.#maxBatch;
        const seen = more ? last.position : Math.max(head, runner.checkpoint);
        if (last) {
          this.#commit(runner, events, seen);
          progress.report(runner.checkpoint, runner.applied);
        } else {
          // Nothing it reads up to the head: it has seen that far (saved with its next commit).
          runner.checkpoint = seen;
        }
        if (!more) break;
        // As in a rebuild: a store that reads synchronously would otherwise keep the event loop for
        // the whole catch-up. None after the last page: nothing may come between it and the join.
        await nextTurn();
      }
      if (this.#feedFailure) throw this.#feedFailure;
      const feedSeen = this.#feedSeen;
      if (feedSeen === undefined) return;
      if (runner.checkpoint >= feedSeen) {
        this.#members.add(runner);
        this.#wakeWaiters();
        return;
      }
      // The feed has handed over events past the head it read: catch up to a newer head first.
    }
  }

  #feedStopped(error: Error): void {
    this.#commitHeld();
    this.#feedFailure = error;
    this.#feedSeen = undefined;
    for (const runner of [...this.#members]) this.#stopped(runner, error);
  }

  #deliver(batch: readonly RecordedEvent[], through: number): void {
    this.#feedSeen = through;
    if (this.#members.size === 0) return;
    for (const event of batch) this.#held.push(event);
    this.#heldThrough = through;
    const mayWait = this.#held.length < this.#maxBatch && this.#mayWait(batch);
    if (this.#heldTimer !== undefined && mayWait) return;
    const wait = this.#lastCommitAt + this.#groupCommitMs - performance.now();
    if (wait <= 0 || !mayWait) this.#commitHeld();
    else this.#heldTimer = setTimeout(() => this.#commitHeld(), wait);
  }

  /** Whether only group-committed read models read the batch's events (Projection.groupCommit). */
  #mayWait(batch: readonly RecordedEvent[]): boolean {
    for (const runner of this.#members) {
      if (runner.projection.groupCommit === true) continue;
      const { filter } = runner.projection;
      for (const event of batch) if (matchesFilter(filter, event.stream, event.type)) return false;
    }
    return true;
  }

  /** Commits what the feed handed over and the group commit holds, if anything. */
  #commitHeld(): void {
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    const held = this.#held;
    this.#held = [];
    if (this.#heldThrough > 0 && this.#members.size > 0) {
      this.#commitFeedBatch(held, this.#heldThrough);
      this.#lastCommitAt = performance.now();
    }
    this.#heldThrough = 0;
  }

  /**
   * One transaction for every member that reads some of the batch, each in a savepoint of its own: a
   * member that fails is rolled back alone and stops, the others commit. Every member has seen the
   * whole batch, so each checkpoint moves to its end, also past events the member does not read:
   * neither `waitFor` nor a restart then looks through them again, and a read model that reads rare
   * events does not fall ever further behind the head. The checkpoint of a member that reads none of
   * the batch moves in memory, and is written at most once per `idleCheckpointIntervalMs` and when
   * the projector stops: under a fleet's flow of values most of the dozen read models read none of
   * a batch, and a savepoint and a checkpoint row each per commit were most of a small commit's work.
   * A restart from an older checkpoint of such a member finds nothing it reads in between.
   */
  #commitFeedBatch(batch: readonly RecordedEvent[], seen: number): void {
    const applied: Array<{ runner: Runner; events: readonly RecordedEvent[] }> = [];
    const failed: Array<{ runner: Runner; error: unknown }> = [];
    const db = this.#database.db;
    const saveEvery = performance.now() - this.#checkpointsSavedAt >= idleCheckpointIntervalMs;
    const writes: Array<{ runner: Runner; events: readonly RecordedEvent[] }> = [];
    for (const runner of this.#runners) {
      if (!this.#members.has(runner) || runner.checkpoint >= seen) continue;
      const { filter } = runner.projection;
      const events = batch.filter((event) => event.position > runner.checkpoint && matchesFilter(filter, event.stream, event.type));
      if (events.length > 0 || saveEvery) writes.push({ runner, events });
      else {
        runner.checkpoint = seen;
        this.#checkpointsBehind = true;
      }
    }
    if (saveEvery) {
      this.#checkpointsSavedAt = performance.now();
      this.#checkpointsBehind = false;
    }
    if (writes.length === 0) {
      this.#recordIdentityOnce();
      this.#wakeWaiters();
      return;
    }
    this.#database.transaction(() => {
      for (const { runner, events } of writes) {
        db.exec('SAVEPOINT feed_member');
        try {
          this.#apply(runner, events, seen);
          db.exec('RELEASE feed_member');
          applied.push({ runner, events });
        } catch (error) {
          db.exec('ROLLBACK TO feed_member');
          db.exec('RELEASE feed_member');
          failed.push({ runner, error });
        }
      }
    });
    for (const { runner, events } of applied) this.#committed(runner, events, seen);
    for (const { runner, error } of failed) this.#stopped(runner, error);
    this.#wakeWaiters();
  }

  /** Writes the checkpoints that moved in memory only (`#commitFeedBatch`), so that the next start begins there. */
  #saveCheckpointsBehind(): void {
    if (!this.#checkpointsBehind) return;
    this.#checkpointsBehind = false;
    this.#database.transaction(() => {
      for (const { projection, checkpoint } of this.#members) this.#database.saveCheckpoint(projection.name, { position: checkpoint, version: projection.version });
    });
    this.#checkpointsSavedAt = performance.now();
  }

  #commit(runner: Runner, batch: readonly RecordedEvent[], seen: number): void {
    this.#database.transaction(() => this.#apply(runner, batch, seen));
    this.#committed(runner, batch, seen);
    this.#wakeWaiters();
  }

  /** Inside a transaction: applies the events and moves the checkpoint to `seen`, the end of what was looked at. */
  #apply(runner: Runner, events: readonly RecordedEvent[], seen: number): void {
    const { projection } = runner;
    // The filter is a promise of the port; checking again keeps a projection safe from a store that filters loosely.
    applyEvents(projection, this.#database.db, events.filter((event) => matchesFilter(projection.filter, event.stream, event.type)));
    this.#database.saveCheckpoint(projection.name, { position: seen, version: projection.version });
  }

  /** After the commit of what `#apply` wrote: the runner's position, then the listeners. */
  #committed(runner: Runner, events: readonly RecordedEvent[], seen: number): void {
    const { projection } = runner;
    runner.checkpoint = seen;
    runner.applied += events.length;
    this.#recordIdentityOnce();
    for (const event of events) {
      if (event.position <= runner.toldThrough) continue;
      for (const listener of this.#listeners) {
        try {
          listener({ projection: projection.name, event });
        } catch (error) {
          this.#logger.error({ err: error, projection: projection.name }, 'projection listener failed');
        }
      }
    }
  }

  #wakeWaiters(): void {
    const waiters = this.#progressWaiters;
    this.#progressWaiters = new Set();
    for (const wake of waiters) wake();
  }
}

/** Creates the projection's tables and indexes (a rebuild creates its query indexes last). */
function createReadModel(projection: Projection, db: DatabaseSync): void {
  projection.create(db);
  createQueryIndexes(projection, db);
}

function createQueryIndexes(projection: Projection, db: DatabaseSync): void {
  for (const statement of projection.queryIndexes ?? []) db.exec(statement);
}

/** Applies the events in log order: in one call when the projection takes a batch, else one by one. */
function applyEvents(projection: Projection, db: DatabaseSync, events: readonly RecordedEvent[]): void {
  if (events.length === 0) return;
  if (projection.applyBatch) projection.applyBatch(db, events);
  else for (const event of events) projection.apply(db, event);
}

/** Logs a long catch-up's progress at most every `intervalMs`, and once when it reaches the head. */
class ProgressLog {
  readonly #logger: Logger;
  readonly #projection: string;
  readonly #intervalMs: number;
  readonly #head: () => Promise<number>;
  readonly #startedAt = Date.now();
  #lastLogAt = Date.now();
  #reporting = false;

  constructor(logger: Logger, projection: string, intervalMs: number, head: () => Promise<number>) {
    this.#logger = logger;
    this.#projection = projection;
    this.#intervalMs = intervalMs;
    this.#head = head;
  }

  report(position: number, applied: number): void {
    const now = Date.now();
    if (now - this.#lastLogAt < this.#intervalMs || this.#reporting) return;
    this.#lastLogAt = now;
    this.#reporting = true;
    this.#head()
      .then((head) => {
        const ratePerSecond = Math.round((applied * 1000) / Math.max(1, now - this.#startedAt));
        this.#logger.info({ projection: this.#projection, position, head, applied, ratePerSecond }, 'projecting');
      })
      .catch(() => undefined)
      .finally(() => (this.#reporting = false));
  }
}
