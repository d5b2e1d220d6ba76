/**
 * What a raw test peer has received, in order, and a wait with a deadline for the first arrival that
 * matches (RawCoapPeer's datagrams, RawCoapStreamPeer's messages).
 */
export class Arrivals<T> {
  readonly items: T[] = [];
  readonly #describe: (items: readonly T[]) => string;
  #waiters: Array<() => void> = [];

  /** `describe` says what arrived, for the error of a wait that found nothing. */
  constructor(describe: (items: readonly T[]) => string) {
    this.#describe = describe;
  }

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** Wakes the waits, which look again (after something other than an arrival changed, e.g. a close). */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves with the first arrival (from index `from`) matching, or rejects after `ms`. */
  async waitFor(predicate: (item: T) => boolean, ms: number, from = 0): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.items.slice(from).find(predicate);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nothing matching within ${ms} ms (${this.#describe(this.items)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
