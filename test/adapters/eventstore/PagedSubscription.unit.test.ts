import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { LogHead } from '../../../src/adapters/eventstore/LogHead.ts';
import type { ReadPage } from '../../../src/adapters/eventstore/PagedSubscription.ts';
import { createPagedSubscription } from '../../../src/adapters/eventstore/PagedSubscription.ts';

function recorded(position: number): RecordedEvent {
  return { id: `id-${position}`, type: 'E', data: position, metadata: { schemaVersion: 1 }, stream: 's', revision: position - 1, position, recordedAt: new Date(0) };
}

/** A log of `size` events whose pages are read asynchronously, recording every read. */
function log(size: number): { readPage: ReadPage; reads: Array<[after: number, upTo: number]> } {
  const reads: Array<[number, number]> = [];
  const readPage: ReadPage = async (after, upTo, maxCount) => {
    reads.push([after, upTo]);
    await new Promise((resolve) => setImmediate(resolve));
    const page: RecordedEvent[] = [];
    for (let position = after + 1; position <= Math.min(upTo, size) && page.length < maxCount; position++) page.push(recorded(position));
    return page;
  };
  return { readPage, reads };
}

describe('createPagedSubscription', () => {
  it('serves overlapping next() calls with successive events, none twice', async () => {
    const { readPage } = log(10);
    const subscription = createPagedSubscription({ after: 0, filter: undefined, pageSize: 3, head: new LogHead(10), readPage, onPageRead: undefined });
    const iterator = subscription[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 10 }, () => iterator.next()));
    expect(results.map((result) => (result.done ? undefined : result.value.position))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await subscription.close();
  });

  it('reads no further than the head it saw, then waits for the head to move', async () => {
    const { readPage, reads } = log(100);
    const head = new LogHead(4);
    const subscription = createPagedSubscription({ after: 0, filter: undefined, pageSize: 10, head, readPage, onPageRead: undefined });
    const iterator = subscription[Symbol.asyncIterator]();
    for (let position = 1; position <= 4; position++) expect((await iterator.next()).value).toMatchObject({ position });
    const waiting = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reads).toEqual([[0, 4]]);
    head.advance(6);
    expect((await waiting).value).toMatchObject({ position: 5 });
    expect(reads).toEqual([
      [0, 4],
      [4, 6],
    ]);
    await subscription.close();
  });

  it('continues after a full page from its last event, not from the head', async () => {
    const { readPage, reads } = log(25);
    const subscription = createPagedSubscription({ after: 0, filter: undefined, pageSize: 10, head: new LogHead(25), readPage, onPageRead: undefined });
    const positions: number[] = [];
    for await (const event of subscription) {
      positions.push(event.position);
      if (positions.length === 25) break;
    }
    expect(positions).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
    expect(reads).toEqual([
      [0, 25],
      [10, 25],
      [20, 25],
    ]);
  });
});
