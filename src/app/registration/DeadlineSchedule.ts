/**
 * Deadlines of many keys, bucketed by the second they fall in, so that finding the due ones looks at
 * the entries of the seconds that have passed and at nothing else: at a million registrations, a walk
 * over all of them each second would take a core by itself.
 *
 * Lazy: a key has one entry that counts (`#pending` holds its second); entries left behind by a key
 * that was unscheduled or moved to an earlier second are skipped when their second comes. A deadline
 * moved later (an Update renews a registration's lifetime) costs nothing when it moves: its entry is
 * carried to the new second when the old one comes, the current deadline deciding.
 *
 * Bounded: the entries held are at most twice the keys scheduled plus `staleSlack`; past that, the
 * stale ones are dropped all at once (a cost paid once per as many stale entries as keys scheduled).
 */
const staleSlack = 1_024;

export interface DueDeadlines {
  /** Keys whose current deadline has passed, earliest second first. */
  readonly due: string[];
  /** Entries looked at, stale ones included: the work done, proportional to the entries of the seconds that passed. */
  readonly examined: number;
}

/**
 * Where the second of each scheduled key's entry that counts is kept: a map of the schedule's own by
 * default. An owner that keeps an object per key already may keep the second on it instead: at a
 * million keys, that is a million-entry map fewer to look up on every schedule (each look-up a cache
 * miss) and about 40 bytes a key fewer.
 */
export interface PendingSeconds {
  get(key: string): number | undefined;
  set(key: string, second: number): void;
  /** Whether the key had a second. */
  delete(key: string): boolean;
  /** Keys that have a second. */
  readonly size: number;
}

export class DeadlineSchedule {
  readonly #buckets = new Map<number, string[]>();
  /** The seconds of the buckets, as a binary min-heap. */
  readonly #seconds: number[] = [];
  /** The second of each scheduled key's entry that counts. */
  readonly #pending: PendingSeconds;
  #entries = 0;

  constructor(pending: PendingSeconds = new Map<string, number>()) {
    this.#pending = pending;
  }

  /** Keys scheduled. */
  get size(): number {
    return this.#pending.size;
  }

  /** Entries held, stale ones included. */
  get entries(): number {
    return this.#entries;
  }

  /** Schedules `key` at `deadlineMs`, unless its entry already comes at that second or before (then it is carried on when it comes). */
  schedule(key: string, deadlineMs: number): void {
    const second = Math.ceil(deadlineMs / 1000);
    const pending = this.#pending.get(key);
    if (pending !== undefined && pending <= second) return;
    this.#pending.set(key, second);
    this.#add(second, key);
    this.#dropStaleBeyondBound();
  }

  unschedule(key: string): void {
    if (this.#pending.delete(key)) this.#dropStaleBeyondBound();
  }

  /**
   * Takes the keys whose current deadline (`deadlineOf`; undefined: none any more) is at or before
   * `nowMs`, looking only at the entries of the seconds up to `nowMs`. A key taken stays scheduled at
   * the next second, so that it is taken again if it is still scheduled then (its expiry failed).
   */
  takeDue(nowMs: number, deadlineOf: (key: string) => number | undefined): DueDeadlines {
    const nowSecond = Math.floor(nowMs / 1000);
    const due: string[] = [];
    let examined = 0;
    while (this.#seconds.length > 0 && this.#seconds[0]! <= nowSecond) {
      const second = this.#popSecond();
      const keys = this.#buckets.get(second) ?? [];
      this.#buckets.delete(second);
      this.#entries -= keys.length;
      examined += keys.length;
      for (const key of keys) {
        if (this.#pending.get(key) !== second) continue;
        const deadline = deadlineOf(key);
        if (deadline === undefined) {
          this.#pending.delete(key);
          continue;
        }
        if (deadline <= nowMs) due.push(key);
        // Past `nowSecond` either way: a later deadline's second, or the next second for a key taken.
        const next = deadline <= nowMs ? nowSecond + 1 : Math.ceil(deadline / 1000);
        this.#pending.set(key, next);
        this.#add(next, key);
      }
    }
    return { due, examined };
  }

  #add(second: number, key: string): void {
    const bucket = this.#buckets.get(second);
    if (bucket) bucket.push(key);
    else {
      this.#buckets.set(second, [key]);
      this.#pushSecond(second);
    }
    this.#entries++;
  }

  #dropStaleBeyondBound(): void {
    if (this.#entries <= 2 * this.#pending.size + staleSlack) return;
    this.#seconds.length = 0;
    this.#entries = 0;
    for (const [second, keys] of this.#buckets) {
      const kept = [...new Set(keys)].filter((key) => this.#pending.get(key) === second);
      if (kept.length === 0) this.#buckets.delete(second);
      else {
        this.#buckets.set(second, kept);
        this.#seconds.push(second);
        this.#entries += kept.length;
      }
    }
    // An ascending array is a min-heap.
    this.#seconds.sort((a, b) => a - b);
  }

  #pushSecond(second: number): void {
    const heap = this.#seconds;
    let index = heap.push(second) - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]! <= second) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = second;
  }

  #popSecond(): number {
    const heap = this.#seconds;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1]! < heap[left]! ? left + 1 : left;
      if (heap[child]! >= last) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
