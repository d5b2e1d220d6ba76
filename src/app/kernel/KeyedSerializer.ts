/**
 * Runs tasks one after another per key (per endpoint) and concurrently across keys, so that a
 * device's Register, Update and expiry are decided in arrival order without optimistic-concurrency
 * retries, and a fleet is still served in parallel.
 */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
