/**
 * Runs tasks one after another per key (per endpoint) and concurrently across keys, so that a
 * device's Register, Update and expiry are decided in arrival order without optimistic-concurrency
 * retries, and a fleet is still served in parallel.
 *
 * A task on a key with nothing queued starts at once; otherwise it is chained after the key's last
 * task. Each task costs two promises (its own and the tail that settles without failing), since every
 * registration and operation command passes here.
 */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const next = previous === undefined ? started(task) : previous.then(task, task);
    const release = (): void => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail: Promise<void> = next.then(release, release);
    this.#tails.set(key, tail);
    return next;
  }
}

/** The task's promise; a task that throws before its first await fails its own caller, as a chained one would. */
function started<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
