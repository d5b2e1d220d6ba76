/**
 * The position of the last durable event in an in-process log, and a way to wait until it moves.
 *
 * Subscriptions that have caught up wait here instead of polling. Waiting is expressed as "until the
 * head is beyond position P", so an append committed between a subscription's last read and its call
 * to `waitBeyond` is never missed: the head is already beyond P and the wait returns at once.
 */
interface Waiter {
  readonly beyond: number;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (moved: boolean) => void;
}

export class LogHead {
  #position: number;
  #waiters = new Set<Waiter>();
  /**
   * The signals whose abort the head listens for: one listener per signal for its lifetime, not one
   * added and removed per wait. A subscription waits once for every commit it is woken by, and an
   * EventTarget listener added and removed each time cost more than the rest of the wait.
   */
  readonly #heard = new WeakSet<AbortSignal>();
  #closed = false;

  constructor(position: number) {
    this.#position = position;
  }

  get position(): number {
    return this.#position;
  }

  /** Called once a commit is durable and visible to readers. */
  advance(position: number): void {
    if (position <= this.#position) return;
    this.#position = position;
    for (const waiter of this.#waiters) {
      if (position > waiter.beyond) {
        this.#waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }

  /**
   * Resolves true once the head is beyond `position`; false when the log closes or `signal` aborts
   * first (the waiter is then forgotten, so closed subscriptions leave nothing behind).
   */
  waitBeyond(position: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#position > position) return Promise.resolve(true);
    if (this.#closed || signal?.aborted === true) return Promise.resolve(false);
    if (signal !== undefined && !this.#heard.has(signal)) {
      this.#heard.add(signal);
      signal.addEventListener('abort', () => this.#abandon(signal), { once: true });
    }
    return new Promise((resolve) => this.#waiters.add({ beyond: position, signal, resolve }));
  }

  #abandon(signal: AbortSignal): void {
    for (const waiter of this.#waiters) {
      if (waiter.signal === signal) {
        this.#waiters.delete(waiter);
        waiter.resolve(false);
      }
    }
  }

  close(): void {
    this.#closed = true;
    const waiting = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiting) waiter.resolve(false);
  }
}
