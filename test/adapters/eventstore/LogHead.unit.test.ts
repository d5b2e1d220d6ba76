import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LogHead } from '../../../src/adapters/eventstore/LogHead.ts';

describe('LogHead', () => {
  it('returns at once when the head is already beyond the position', async () => {
    const head = new LogHead(5);
    expect(await head.waitBeyond(4)).toBe(true);
  });

  it('wakes a waiter only when the head moves beyond its position', async () => {
    const head = new LogHead(0);
    const woken: number[] = [];
    const first = head.waitBeyond(0).then(() => woken.push(0));
    const second = head.waitBeyond(3).then(() => woken.push(3));
    head.advance(2);
    await first;
    expect(woken).toEqual([0]);
    head.advance(4);
    await second;
    expect(woken).toEqual([0, 3]);
  });

  it('never moves backwards', () => {
    const head = new LogHead(7);
    head.advance(3);
    expect(head.position).toBe(7);
  });

  it('resolves false on abort, and on close for every waiter and every later wait', async () => {
    const head = new LogHead(0);
    const abort = new AbortController();
    const aborted = head.waitBeyond(0, abort.signal);
    abort.abort();
    expect(await aborted).toBe(false);
    const waiting = head.waitBeyond(0);
    head.close();
    expect(await waiting).toBe(false);
    expect(await head.waitBeyond(0)).toBe(false);
  });

  it('listens once to a signal however often it waits with it, and its abort ends only its own waits', async () => {
    const head = new LogHead(0);
    const abort = new AbortController();
    for (let position = 0; position < 100; position++) {
      const woken = head.waitBeyond(position, abort.signal);
      head.advance(position + 1);
      expect(await woken).toBe(true);
    }
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(1);
    const other = new AbortController();
    const aborted = head.waitBeyond(100, abort.signal);
    const kept = head.waitBeyond(100, other.signal);
    abort.abort();
    expect(await aborted).toBe(false);
    head.advance(101);
    expect(await kept).toBe(true);
  });
});
