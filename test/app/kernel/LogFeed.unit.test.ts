import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import type { FeedMember } from '../../../src/app/kernel/LogFeed.ts';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';

/** A member that keeps the size of every batch handed to it, and says when it has seen a position. */
class BatchSizes implements FeedMember {
  readonly filter = undefined;
  readonly sizes: number[] = [];
  #seen = 0;
  #waiting: { position: number; resolve: () => void } | undefined;

  deliver(events: readonly RecordedEvent[], through: number): void {
    this.sizes.push(events.length);
    this.#seen = through;
    if (this.#waiting && through >= this.#waiting.position) this.#waiting.resolve();
  }

  stopped(): void {}

  seen(position: number): Promise<void> {
    if (this.#seen >= position) return Promise.resolve();
    return new Promise((resolve) => (this.#waiting = { position, resolve }));
  }
}

describe('LogFeed', () => {
  it('hands the appends committed one after another in one turn of the event loop over as one batch', async () => {
    const store = new MemoryEventStore();
    const feed = new LogFeed({ store });
    const member = new BatchSizes();
    await feed.join(member);
    let position = 0;
    // Each append resolves at once: the feed could hand every event over on its own between them.
    for (let amount = 1; amount <= 10; amount++) {
      position = (await store.appendToStream('counter-1', [{ type: 'Added', data: { amount } }], 'any')).position;
    }
    await member.seen(position);
    expect(member.sizes).toEqual([10]);
    await feed.close();
  });
});
