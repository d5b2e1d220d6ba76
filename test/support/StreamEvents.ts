/** Reading an event store's streams from a test, and waiting for what is appended after a reply. */
import type { EventStore, RecordedEvent } from '../../src/adapters/eventstore/EventStore.ts';
import type { FeedMember, LogFeed } from '../../src/app/kernel/LogFeed.ts';

export async function streamEvents(store: EventStore, stream: string): Promise<readonly RecordedEvent[]> {
  const result = await store.readStream(stream);
  return result.status === 'found' ? result.events : [];
}

/** Waits, with a deadline, for an event of `type` on the stream (audit events are appended after the reply). */
export async function waitForStreamEvent(store: EventStore, stream: string, type: string, ms = 3_000): Promise<RecordedEvent> {
  const deadline = Date.now() + ms;
  for (;;) {
    const events = await streamEvents(store, stream);
    const found = events.find((event) => event.type === type);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${type} on ${stream} within ${ms} ms: ${events.map((event) => event.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits on the process's log feed until the events of `stream` satisfy `check`, and resolves with
 * what it returned: woken by each append, with no polling, no subscription of its own and no deadline
 * on the wall clock (a loaded machine makes it late, not wrong; the test's time-out bounds it).
 */
export async function whenStreamEvents<T>(feed: LogFeed, stream: string, check: (events: readonly RecordedEvent[]) => T | undefined): Promise<T> {
  const events: RecordedEvent[] = [];
  let settle: (value: T) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const found = new Promise<T>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const member: FeedMember = {
    filter: { streamPrefixes: [stream] },
    deliver(delivered) {
      events.push(...delivered.filter((event) => event.stream === stream));
      const value = check(events);
      if (value !== undefined) settle(value);
    },
    stopped: fail,
  };
  await feed.join(member);
  try {
    const now = check(events);
    return now === undefined ? await found : now;
  } finally {
    feed.leave(member);
  }
}
