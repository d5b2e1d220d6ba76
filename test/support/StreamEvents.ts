/** Reading an event store's streams from a test, and waiting for what is appended after a reply. */
import type { EventStore, RecordedEvent } from '../../src/adapters/eventstore/EventStore.ts';

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
