/**
 * The event store contract: one suite that every adapter of the port must pass (memory, SQLite,
 * EventStoreDB). Each test writes to streams under a fresh prefix, so that it also runs against a
 * shared EventStoreDB server that holds other data; positions are only assumed to increase.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore, NewEvent, RecordedEvent, Subscription } from '../../src/adapters/eventstore/EventStore.ts';
import { WrongExpectedVersion } from '../../src/adapters/eventstore/EventStore.ts';

export interface ContractSubject {
  readonly store: EventStore;
  /**
   * When the adapter reads subscriptions page by page from a log of its own, the sizes of the pages
   * it has read so far and its page size: the back-pressure test checks that a paused consumer does not
   * make it read ahead.
   */
  readonly pageReads?: { readonly sizes: readonly number[]; readonly pageSize: number };
  /** Removes what the subject created (temp files); the suite closes the store itself. */
  readonly dispose?: () => Promise<void>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function event(type: string, n: number): NewEvent {
  return { type, data: { n } };
}

function events(type: string, count: number, from = 0): NewEvent[] {
  return Array.from({ length: count }, (_, index) => event(type, from + index));
}

/** Pulls `count` events from a subscription, failing after `timeoutMs` instead of hanging. */
export async function take(subscription: Subscription, count: number, timeoutMs = 10_000): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  const iterator = subscription[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (taken.length < count) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`subscription delivered ${taken.length} of ${count} events`)), remaining);
    });
    try {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) throw new Error(`subscription ended after ${taken.length} of ${count} events`);
      taken.push(next.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return taken;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

export function eventStoreContract(name: string, createSubject: () => Promise<ContractSubject>): void {
  describe(`event store contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    let prefix: string;
    const subscriptions: Subscription[] = [];

    beforeEach(async () => {
      subject = await createSubject();
      store = subject.store;
      prefix = `contract${randomUUID().slice(0, 8)}-`;
    });

    afterEach(async () => {
      for (const subscription of subscriptions.splice(0)) await subscription.close();
      await store.close();
      await subject.dispose?.();
    });

    function subscribe(...args: Parameters<EventStore['subscribeToAll']>): Subscription {
      const subscription = store.subscribeToAll(...args);
      subscriptions.push(subscription);
      return subscription;
    }

    describe('appendToStream', () => {
      it('records the envelope: id, type, data, metadata, stream, revision, position, recorded time', async () => {
        const stream = `${prefix}device-1`;
        const givenId = randomUUID();
        const before = Date.now();
        const result = await store.appendToStream(
          stream,
          [
            { id: givenId, type: 'DeviceRegistered', data: { endpoint: 'urn:dev:1', tags: ['a', 'b'], nested: { x: null, y: 1.5 } }, metadata: { correlationId: 'corr-1', causationId: 'cause-1', actor: 'user:alice', schemaVersion: 2 } },
            { type: 'DeviceRenamed', data: 'plain string' },
          ],
          'no_stream',
        );
        const read = await store.readStream(stream);
        expect(read.status).toBe('found');
        if (read.status !== 'found') return;
        const [first, second] = read.events;
        expect(first).toMatchObject({
          id: givenId,
          type: 'DeviceRegistered',
          data: { endpoint: 'urn:dev:1', tags: ['a', 'b'], nested: { x: null, y: 1.5 } },
          metadata: { correlationId: 'corr-1', causationId: 'cause-1', actor: 'user:alice', schemaVersion: 2 },
          stream,
          revision: 0,
        });
        expect(second?.id).toMatch(uuidPattern);
        expect(second?.id).not.toBe(givenId);
        expect(second).toMatchObject({ type: 'DeviceRenamed', data: 'plain string', stream, revision: 1, metadata: { schemaVersion: 1 } });
        expect(second?.metadata.actor).toBeUndefined();
        expect(second?.position).toBe(result.position);
        expect(first!.position).toBeLessThan(second!.position);
        expect(result.nextExpectedRevision).toBe(1);
        for (const recorded of read.events) {
          expect(recorded.recordedAt).toBeInstanceOf(Date);
          expect(recorded.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
          expect(recorded.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        }
      });

      it('no_stream: succeeds on a new stream, fails with the actual revision on an existing one', async () => {
        const stream = `${prefix}s`;
        await store.appendToStream(stream, events('E', 3), 'no_stream');
        const error = await rejection(store.appendToStream(stream, [event('E', 3)], 'no_stream'));
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(error).toMatchObject({ stream, expected: 'no_stream', actual: 2 });
      });

      it('stream_exists: fails with no_stream on a missing stream, succeeds on an existing one', async () => {
        const stream = `${prefix}s`;
        const error = await rejection(store.appendToStream(stream, [event('E', 0)], 'stream_exists'));
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(error).toMatchObject({ stream, expected: 'stream_exists', actual: 'no_stream' });
        await store.appendToStream(stream, [event('E', 0)], 'no_stream');
        const result = await store.appendToStream(stream, [event('E', 1)], 'stream_exists');
        expect(result.nextExpectedRevision).toBe(1);
      });

      it('exact revision: succeeds when it is the last revision, otherwise fails with the actual one', async () => {
        const stream = `${prefix}s`;
        const missing = await rejection(store.appendToStream(stream, [event('E', 0)], 0));
        expect(missing).toMatchObject({ expected: 0, actual: 'no_stream' });
        await store.appendToStream(stream, events('E', 2), 'no_stream');
        const behind = await rejection(store.appendToStream(stream, [event('E', 2)], 0));
        expect(behind).toBeInstanceOf(WrongExpectedVersion);
        expect(behind).toMatchObject({ expected: 0, actual: 1 });
        const ahead = await rejection(store.appendToStream(stream, [event('E', 2)], 5));
        expect(ahead).toMatchObject({ expected: 5, actual: 1 });
        const result = await store.appendToStream(stream, [event('E', 2)], 1);
        expect(result.nextExpectedRevision).toBe(2);
      });

      it('any: appends whether or not the stream exists', async () => {
        const stream = `${prefix}s`;
        expect((await store.appendToStream(stream, [event('E', 0)], 'any')).nextExpectedRevision).toBe(0);
        expect((await store.appendToStream(stream, [event('E', 1)], 'any')).nextExpectedRevision).toBe(1);
      });

      it('a failed append writes none of its events', async () => {
        const stream = `${prefix}s`;
        await store.appendToStream(stream, [event('E', 0)], 'no_stream');
        await rejection(store.appendToStream(stream, events('E', 3, 1), 'no_stream'));
        const read = await store.readStream(stream);
        expect(read.status === 'found' && read.events.map((e) => e.data)).toEqual([{ n: 0 }]);
      });

      it('appends several events atomically: consecutive revisions, contiguous in the global order', async () => {
        const streams = Array.from({ length: 8 }, (_, index) => `${prefix}s${index}`);
        await Promise.all(streams.map((stream) => store.appendToStream(stream, events('E', 5), 'no_stream')));
        const all = await store.readAll({ filter: { streamPrefixes: [prefix] } });
        expect(all).toHaveLength(40);
        for (let index = 0; index < all.length; index += 5) {
          const group = all.slice(index, index + 5);
          expect(new Set(group.map((e) => e.stream)).size).toBe(1);
          expect(group.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
        }
      });

      it('concurrent appenders racing on the same expected revision: exactly one wins', async () => {
        const stream = `${prefix}s`;
        await store.appendToStream(stream, [event('E', 0)], 'no_stream');
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, index) => store.appendToStream(stream, events('Racer', 2, index * 10), 0)),
        );
        const winners = results.filter((result) => result.status === 'fulfilled');
        const losers = results.filter((result) => result.status === 'rejected');
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(9);
        for (const loser of losers) {
          expect(loser.reason).toBeInstanceOf(WrongExpectedVersion);
          expect(loser.reason).toMatchObject({ expected: 0, actual: 2 });
        }
        const read = await store.readStream(stream);
        expect(read.status === 'found' && read.events.map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('concurrent no_stream creations of one stream: exactly one wins', async () => {
        const stream = `${prefix}s`;
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, index) => store.appendToStream(stream, [event('E', index)], 'no_stream')));
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const read = await store.readStream(stream);
        expect(read.status === 'found' && read.events).toHaveLength(1);
      });
    });

    describe('readStream', () => {
      it('returns stream_not_found for a missing stream', async () => {
        expect(await store.readStream(`${prefix}missing`)).toEqual({ status: 'stream_not_found' });
        expect(await store.readStream(`${prefix}missing`, { direction: 'backwards' })).toEqual({ status: 'stream_not_found' });
      });

      it('reads forwards from a revision with a limit', async () => {
        const stream = `${prefix}s`;
        await store.appendToStream(stream, events('E', 10), 'no_stream');
        const read = await store.readStream(stream, { fromRevision: 3, maxCount: 4 });
        expect(read.status === 'found' && read.events.map((e) => e.revision)).toEqual([3, 4, 5, 6]);
        const all = await store.readStream(stream);
        expect(all.status === 'found' && all.events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const tail = await store.readStream(stream, { fromRevision: 8, maxCount: 5 });
        expect(tail.status === 'found' && tail.events.map((e) => e.revision)).toEqual([8, 9]);
      });

      it('reads backwards from a revision with a limit, and from the end by default', async () => {
        const stream = `${prefix}s`;
        await store.appendToStream(stream, events('E', 10), 'no_stream');
        const read = await store.readStream(stream, { direction: 'backwards', fromRevision: 6, maxCount: 3 });
        expect(read.status === 'found' && read.events.map((e) => e.revision)).toEqual([6, 5, 4]);
        const last = await store.readStream(stream, { direction: 'backwards', maxCount: 2 });
        expect(last.status === 'found' && last.events.map((e) => e.revision)).toEqual([9, 8]);
        const head = await store.readStream(stream, { direction: 'backwards', fromRevision: 1 });
        expect(head.status === 'found' && head.events.map((e) => e.revision)).toEqual([1, 0]);
      });

      it('keeps streams apart', async () => {
        await store.appendToStream(`${prefix}a`, events('A', 2), 'no_stream');
        await store.appendToStream(`${prefix}b`, events('B', 3), 'no_stream');
        const a = await store.readStream(`${prefix}a`);
        expect(a.status === 'found' && a.events.map((e) => e.type)).toEqual(['A', 'A']);
      });
    });

    describe('readAll', () => {
      async function seed(): Promise<number> {
        const start = await store.headPosition();
        await store.appendToStream(`${prefix}device-1`, [event('Registered', 0), event('Measured', 1)], 'no_stream');
        await store.appendToStream(`${prefix}operation-1`, [event('Queued', 2)], 'no_stream');
        await store.appendToStream(`${prefix}device-2`, [event('Registered', 3)], 'no_stream');
        await store.appendToStream(`${prefix}device-1`, [event('Measured', 4)], 1);
        return start;
      }

      it('reads every event in global order after a position, with a limit', async () => {
        const start = await seed();
        const all = await store.readAll({ after: start, filter: { streamPrefixes: [prefix] } });
        expect(all.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
        const positions = all.map((e) => e.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(positions.length);
        expect(await store.headPosition()).toBe(positions.at(-1));

        const after = await store.readAll({ after: positions[1], filter: { streamPrefixes: [prefix] } });
        expect(after.map((e) => e.data)).toEqual([2, 3, 4].map((n) => ({ n })));
        const limited = await store.readAll({ after: positions[1], maxCount: 2, filter: { streamPrefixes: [prefix] } });
        expect(limited.map((e) => e.data)).toEqual([2, 3].map((n) => ({ n })));
      });

      it('reads everything when given no filter', async () => {
        const start = await seed();
        const all = await store.readAll({ after: start });
        expect(all.filter((e) => e.stream.startsWith(prefix))).toHaveLength(5);
      });

      it('filters by stream-name prefix and by event type', async () => {
        const start = await seed();
        const devices = await store.readAll({ after: start, filter: { streamPrefixes: [`${prefix}device-`] } });
        expect(devices.map((e) => e.data)).toEqual([0, 1, 3, 4].map((n) => ({ n })));
        const several = await store.readAll({ after: start, filter: { streamPrefixes: [`${prefix}device-2`, `${prefix}operation-`] } });
        expect(several.map((e) => e.data)).toEqual([2, 3].map((n) => ({ n })));
        const measured = await store.readAll({ after: start, filter: { eventTypes: ['Measured', 'Queued'] } });
        expect(measured.filter((e) => e.stream.startsWith(prefix)).map((e) => e.data)).toEqual([1, 2, 4].map((n) => ({ n })));
        const both = await store.readAll({ after: start, filter: { streamPrefixes: [`${prefix}device-`], eventTypes: ['Registered'] } });
        expect(both.map((e) => e.data)).toEqual([0, 3].map((n) => ({ n })));
      });

      it('treats prefix characters literally', async () => {
        await store.appendToStream(`${prefix}a*b`, [event('E', 0)], 'no_stream');
        await store.appendToStream(`${prefix}axb`, [event('E', 1)], 'no_stream');
        const read = await store.readAll({ filter: { streamPrefixes: [`${prefix}a*`] } });
        expect(read.map((e) => e.stream)).toEqual([`${prefix}a*b`]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up from a checkpoint, then continues live', async () => {
        const filter = { streamPrefixes: [prefix] };
        const start = await store.headPosition();
        await store.appendToStream(`${prefix}s`, events('E', 5), 'no_stream');
        const history = await store.readAll({ after: start, filter });
        const checkpoint = history[2]!.position;
        const subscription = subscribe({ after: checkpoint, filter });
        const caughtUp = await take(subscription, 2);
        expect(caughtUp.map((e) => e.data)).toEqual([{ n: 3 }, { n: 4 }]);
        const live = take(subscription, 2);
        await store.appendToStream(`${prefix}s`, events('E', 2, 5), 4);
        expect((await live).map((e) => e.data)).toEqual([{ n: 5 }, { n: 6 }]);
      });

      it('hands over from catch-up to live with no gap and no duplicate under concurrent appends', async () => {
        const filter = { streamPrefixes: [prefix] };
        const start = await store.headPosition();
        for (let batch = 0; batch < 10; batch++) await store.appendToStream(`${prefix}history`, events('E', 30), 'any');
        const subscription = subscribe({ after: start, filter });
        const writers = Array.from({ length: 4 }, async (_, writer) => {
          for (let index = 0; index < 50; index++) {
            await store.appendToStream(`${prefix}live-${writer}`, events('E', 2, index * 2), 'any');
            if (index % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
          }
        });
        const received = await take(subscription, 300 + 4 * 100);
        await Promise.all(writers);
        const positions = received.map((e) => e.position);
        expect(new Set(positions).size).toBe(positions.length);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        const logged = await store.readAll({ after: start, filter });
        expect(received.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      });

      it('delivers only events that match its filter', async () => {
        const start = await store.headPosition();
        const subscription = subscribe({ after: start, filter: { streamPrefixes: [`${prefix}device-`], eventTypes: ['Measured'] } });
        await store.appendToStream(`${prefix}device-1`, [event('Registered', 0), event('Measured', 1)], 'no_stream');
        await store.appendToStream(`${prefix}other-1`, [event('Measured', 2)], 'no_stream');
        await store.appendToStream(`${prefix}device-2`, [event('Measured', 3)], 'no_stream');
        expect((await take(subscription, 2)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }]);
      });

      it('close() ends an iteration that is waiting for events', async () => {
        const subscription = subscribe({ after: await store.headPosition(), filter: { streamPrefixes: [prefix] } });
        const pending = subscription[Symbol.asyncIterator]().next();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await subscription.close();
        expect(await pending).toEqual({ done: true, value: undefined });
      });

      it('applies back-pressure: a paused consumer does not make the store read ahead', async (context) => {
        const pageReads = subject.pageReads;
        if (!pageReads) {
          context.skip('the adapter streams from a server whose client applies back-pressure itself');
          return;
        }
        const total = pageReads.pageSize * 10;
        for (let index = 0; index < total; index += 100) await store.appendToStream(`${prefix}s`, events('E', 100, index), 'any');
        const subscription = subscribe({});
        await take(subscription, 3);
        for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
        expect(pageReads.sizes.reduce((sum, size) => sum + size, 0)).toBeLessThanOrEqual(pageReads.pageSize);
        await take(subscription, total - 3);
        expect(Math.max(...pageReads.sizes)).toBeLessThanOrEqual(pageReads.pageSize);
        expect(pageReads.sizes.reduce((sum, size) => sum + size, 0)).toBe(total);
      });
    });

    describe('health', () => {
      it('reports itself healthy while open, and unhealthy with a reason once closed', async () => {
        await store.appendToStream(`${prefix}s`, [event('E', 1)], 'no_stream');
        expect(store.health()).toEqual({ ok: true });
        await store.close();
        expect(store.health()).toMatchObject({ ok: false, reason: expect.stringMatching(/closed/) as unknown });
      });
    });
  });
}
