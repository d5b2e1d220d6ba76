import { describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent, SubscribeToAllOptions, Subscription } from '../../../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { LiveView, LiveViewTimeout } from '../../../src/app/kernel/LiveView.ts';
import type { LiveViewDefinition } from '../../../src/app/kernel/LiveView.ts';
import { LogFeed, LogFeedStopped } from '../../../src/app/kernel/LogFeed.ts';

/** The memory store, counting subscriptions. */
class CountingStore extends MemoryEventStore implements EventStore {
  subscriptions = 0;
  override subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    this.subscriptions++;
    return super.subscribeToAll(options);
  }
}

/** The sum of the `amount`s appended to the counter streams. */
const counterTotal: LiveViewDefinition<number> = {
  name: 'counter total',
  filter: { streamPrefixes: ['counter-'] },
  initialState: 0,
  evolve: (total, event: RecordedEvent) => total + Number((event.data as { amount: number }).amount),
};

function add(store: EventStore, stream: string, amount: number): Promise<number> {
  return store.appendToStream(stream, [{ type: 'Added', data: { amount } }], 'any').then((result) => result.position);
}

describe('LiveView', () => {
  it('folds the history, then each live append, visible once waitFor resolves with its position', async () => {
    const store = new MemoryEventStore();
    await add(store, 'counter-1', 2);
    const feed = new LogFeed({ store });
    const view = await LiveView.open(feed, counterTotal);
    await view.waitFor(await store.headPosition());
    expect(view.state).toBe(2);
    const position = await add(store, 'counter-2', 5);
    await view.waitFor(position);
    expect(view.state).toBe(7);
    await feed.close();
  });

  it('moves past the events it does not read, so waiting for their position resolves', async () => {
    const store = new MemoryEventStore();
    const feed = new LogFeed({ store });
    const view = await LiveView.open(feed, counterTotal);
    const position = await add(store, 'telemetry-1', 1000);
    await view.waitFor(position);
    expect(view).toMatchObject({ state: 0, position });
    await feed.close();
  });

  it('shares one subscription among all views, a late one catching up page by page before it joins', async () => {
    const store = new CountingStore();
    const feed = new LogFeed({ store, maxBatch: 2 });
    const first = await LiveView.open(feed, counterTotal);
    for (let amount = 1; amount <= 5; amount++) await add(store, 'counter-1', amount);
    await first.waitFor(await store.headPosition());
    const late = await LiveView.open(feed, { ...counterTotal, name: 'late' });
    expect(late.state).toBe(15);
    const position = await add(store, 'counter-1', 100);
    await Promise.all([first.waitFor(position), late.waitFor(position)]);
    expect([first.state, late.state]).toEqual([115, 115]);
    expect(store.subscriptions).toBe(1);
    await feed.close();
  });

  it('rejects a wait with LiveViewTimeout when its signal aborts first, and a wait with no signal once the feed closes', async () => {
    const store = new MemoryEventStore();
    const feed = new LogFeed({ store });
    const view = await LiveView.open(feed, counterTotal);
    const abort = new AbortController();
    const aborted = view.waitFor(1, abort.signal);
    abort.abort();
    await expect(aborted).rejects.toBeInstanceOf(LiveViewTimeout);
    const pending = view.waitFor(1);
    await feed.close();
    await expect(pending).rejects.toBeInstanceOf(LogFeedStopped);
    await expect(LiveView.open(feed, counterTotal)).rejects.toBeInstanceOf(LogFeedStopped);
  });

  it('settles each wait once the view passes its position, in whatever order the waits came; an aborted one leaves the others waiting', async () => {
    const store = new MemoryEventStore();
    const feed = new LogFeed({ store });
    const view = await LiveView.open(feed, counterTotal);
    const settled: number[] = [];
    const abort = new AbortController();
    const third = view.waitFor(3).then(() => settled.push(3));
    const aborted = view.waitFor(2, abort.signal);
    const first = view.waitFor(1).then(() => settled.push(1));
    abort.abort();
    await expect(aborted).rejects.toBeInstanceOf(LiveViewTimeout);
    await view.waitFor(await add(store, 'counter-1', 1));
    await first;
    expect(settled).toEqual([1]);
    await add(store, 'counter-1', 1);
    await add(store, 'counter-1', 1);
    await third;
    expect(settled).toEqual([1, 3]);
    await feed.close();
  });

  it('stops a view whose evolve fails, alone: the other views go on', async () => {
    const store = new MemoryEventStore();
    const feed = new LogFeed({ store });
    const failing = await LiveView.open(feed, { ...counterTotal, name: 'failing', evolve: () => { throw new Error('cannot fold'); } });
    const healthy = await LiveView.open(feed, counterTotal);
    const position = await add(store, 'counter-1', 3);
    await expect(failing.waitFor(position)).rejects.toBeInstanceOf(LogFeedStopped);
    await healthy.waitFor(position);
    expect(healthy.state).toBe(3);
    await feed.close();
  });

  it('hands a batch whose expansion is awaited to a view that joins meanwhile, once, without a gap', async () => {
    const store = new MemoryEventStore();
    const feed = new LogFeed({ store });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let expanding: () => void = () => undefined;
    const expansionStarted = new Promise<void>((resolve) => (expanding = resolve));
    const slow = await LiveView.open(feed, {
      ...counterTotal,
      name: 'slow to expand',
      expand: async (events) => {
        expanding();
        await released;
        return events;
      },
    });
    const first = await add(store, 'counter-1', 1);
    await expansionStarted;
    const second = await add(store, 'counter-1', 10);
    const late = await LiveView.open(feed, { ...counterTotal, name: 'joined during the expansion' });
    release();
    await Promise.all([slow.waitFor(second), late.waitFor(second)]);
    expect([slow.state, late.state, first < second]).toEqual([11, 11, true]);
    const third = await add(store, 'counter-1', 100);
    await Promise.all([slow.waitFor(third), late.waitFor(third)]);
    expect([slow.state, late.state]).toEqual([111, 111]);
    await feed.close();
  });
});
