/**
 * Turns the projector's commit notifications into the async iterator a GraphQL subscription returns.
 *
 * It listens from the moment it is created (so nothing committed after `subscribe` is missed), keeps
 * at most `maxQueued` undelivered items, and ends with an error when a client reads too slowly, rather
 * than buffering without bound. Returning from the iterator (the client unsubscribes) stops listening.
 */
import type { ProjectedEvent, Projector } from '../projections/Projector.ts';

export class SubscriberTooSlow extends Error {
  constructor(maxQueued: number) {
    super(`the subscriber fell ${maxQueued} messages behind; subscribe again`);
    this.name = 'SubscriberTooSlow';
  }
}

export function projectionFeed<T>(
  projector: Pick<Projector, 'onProjected'>,
  select: (change: ProjectedEvent) => T | undefined,
  maxQueued = 1000,
): AsyncGenerator<T, undefined> {
  const listen = (emit: (item: T) => void): (() => void) =>
    projector.onProjected((change) => {
      const item = select(change);
      if (item !== undefined) emit(item);
    });
  return listenerFeed(listen, maxQueued);
}

/** The same for any source that calls a listener after each commit (`listen` returns the unsubscribe). */
export function listenerFeed<T>(listen: (emit: (item: T) => void) => () => void, maxQueued = 1000): AsyncGenerator<T, undefined> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T, undefined>) => void) | undefined;
  let failure: Error | undefined;
  let done = false;

  const stop = listen((item) => {
    if (done) return;
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve({ done: false, value: item });
    } else if (queue.length < maxQueued) {
      queue.push(item);
    } else {
      failure = new SubscriberTooSlow(maxQueued);
      stop();
    }
  });

  const finish = (): Promise<IteratorResult<T, undefined>> => {
    done = true;
    stop();
    queue.length = 0;
    const resolve = waiting;
    waiting = undefined;
    resolve?.({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  };

  const generator: AsyncGenerator<T, undefined> = {
    next(): Promise<IteratorResult<T, undefined>> {
      const item = queue.shift();
      if (item !== undefined) return Promise.resolve({ done: false, value: item });
      if (failure) {
        const error = failure;
        void finish();
        return Promise.reject(error);
      }
      if (done) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: finish,
    throw(error: unknown): Promise<IteratorResult<T, undefined>> {
      void finish();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return generator;
    },
    [Symbol.asyncDispose]: async () => {
      await finish();
    },
  };
  return generator;
}
