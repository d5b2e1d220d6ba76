import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import { projectionFeed, SubscriberTooSlow } from '../../src/graphql/ProjectionFeed.ts';
import { deviceHistoryProjection } from '../../src/projections/history/DeviceHistoryProjection.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import { imported, registration } from '../projections/DeviceEventFixtures.ts';

function setUp() {
  const store = new MemoryEventStore();
  const database = new ReadModelDatabase(':memory:');
  const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: [deviceHistoryProjection], logger: silentLogger() });
  projector.start();
  const append = async (endpoint: string) => {
    const result = await store.appendToStream(deviceStream(endpoint), [imported(registration(endpoint))], 'any');
    await projector.waitFor(result.position);
  };
  return { projector, append, close: async () => (await projector.close(), database.close()) };
}

describe('projectionFeed', () => {
  it('yields the selected changes in order, and stops listening on return', async () => {
    const { projector, append, close } = setUp();
    const feed = projectionFeed(projector, ({ event }) => (event.stream === deviceStream('b') ? undefined : event.stream));
    await append('a');
    await append('b');
    await append('c');
    expect(await feed.next()).toEqual({ done: false, value: 'device-a' });
    expect(await feed.next()).toEqual({ done: false, value: 'device-c' });
    const pending = feed.next();
    await feed.return(undefined);
    expect(await pending).toEqual({ done: true, value: undefined });
    await append('d');
    expect(await feed.next()).toEqual({ done: true, value: undefined });
    await close();
  });

  it('ends with an error when the subscriber falls too far behind', async () => {
    const { projector, append, close } = setUp();
    const feed = projectionFeed(projector, ({ event }) => event.position, 2);
    await append('a');
    await append('b');
    await append('c');
    expect(await feed.next()).toEqual({ done: false, value: 1 });
    expect(await feed.next()).toEqual({ done: false, value: 2 });
    await expect(feed.next()).rejects.toBeInstanceOf(SubscriberTooSlow);
    await close();
  });
});
