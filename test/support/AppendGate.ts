/**
 * A gate on a real event store's appends: the appends to the streams chosen are held until the test
 * lets each go on to the store (or fails it, as a failed commit does), so that a test decides when,
 * and whether, they complete. The store itself runs for real; other streams' appends pass through.
 */
import { vi } from 'vitest';
import type { AppendResult, EventStore, ExpectedRevision, NewEvent } from '../../src/adapters/eventstore/EventStore.ts';

export interface HeldAppend {
  readonly stream: string;
  readonly events: readonly NewEvent[];
  /** Lets the append go on to the store. */
  release(): void;
  /** Fails the append without storing anything, as a failed commit does. */
  fail(): void;
}

/** Holds the store's appends to the streams `gated` takes, in the order they came (undone by `vi.restoreAllMocks`). */
export function gateAppends(store: EventStore, gated: (stream: string) => boolean): HeldAppend[] {
  const held: HeldAppend[] = [];
  const append = store.appendToStream.bind(store);
  vi.spyOn(store, 'appendToStream').mockImplementation((stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> => {
    if (!gated(stream)) return append(stream, events, expected);
    return new Promise<AppendResult>((resolve, reject) => {
      held.push({
        stream,
        events,
        release: () => void append(stream, events, expected).then(resolve, reject),
        fail: () => reject(new Error('disk I/O error')),
      });
    });
  });
  return held;
}
