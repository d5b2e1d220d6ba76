/**
 * What the contract cannot see: the SQLite store across a close and reopen (the in-memory tail of
 * the stream index is rebuilt from the file), group commit, and closing with appends still queued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WrongExpectedVersion } from '../../../src/adapters/eventstore/EventStore.ts';
import type { RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { take } from '../../contract/eventStoreContract.ts';

describe('SqliteEventStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-sqlite-'));
    file = join(dir, 'events.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reopens with every stream, revision and position, whether indexed on disk or in the tail', async () => {
    const first = await SqliteEventStore.open(file, { streamIndexMergeThreshold: 5 });
    for (let round = 0; round < 4; round++) {
      for (const stream of ['a', 'b', 'c']) await first.appendToStream(stream, [{ type: 'E', data: { stream, round } }], round === 0 ? 'no_stream' : round - 1);
    }
    await first.close();

    const indexedThrough = (): number => {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return Number(db.prepare('SELECT indexed_through FROM stream_index_state').get()?.['indexed_through']);
      } finally {
        db.close();
      }
    };
    // 12 events, merged by 5s: part of the log is in the on-disk index, part only in the tail.
    expect(indexedThrough()).toBeGreaterThan(0);
    expect(indexedThrough()).toBeLessThan(12);

    const second = await SqliteEventStore.open(file, { streamIndexMergeThreshold: 5 });
    try {
      expect(await second.headPosition()).toBe(12);
      const b = await second.readStream('b');
      expect(b.status === 'found' && b.events.map((event) => [event.revision, event.data])).toEqual(
        [0, 1, 2, 3].map((round) => [round, { stream: 'b', round }]),
      );
      const backwards = await second.readStream('c', { direction: 'backwards', fromRevision: 2, maxCount: 2 });
      expect(backwards.status === 'found' && backwards.events.map((event) => event.revision)).toEqual([2, 1]);
      await expect(second.appendToStream('a', [{ type: 'E', data: null }], 2)).rejects.toBeInstanceOf(WrongExpectedVersion);
      expect(await second.appendToStream('a', [{ type: 'E', data: null }], 3)).toEqual({ nextExpectedRevision: 4, position: 13 });
    } finally {
      await second.close();
    }
  });

  it('commits appends issued together in one transaction', async () => {
    // Every reading of this clock is a new millisecond, so two commits can never share a recorded time.
    let tick = 0;
    const store = await SqliteEventStore.open(file, { clock: { now: () => new Date(++tick) } });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => store.appendToStream(`s-${index}`, [{ type: 'E', data: index }], 'no_stream')));
      const all = await store.readAll();
      // One commit: every event carries the one recorded time taken for the batch.
      expect(new Set(all.map((event) => event.recordedAt.getTime())).size).toBe(1);
      expect(results.map((result) => result.position)).toEqual(all.map((event) => event.position));
    } finally {
      await store.close();
    }
  });

  it("hands subscriptions this process's appends exactly as the log records them, in its order, whether kept in memory or read back", async () => {
    let tick = 0;
    // Page size 4: the store keeps at most the latest two pages of appends, so a lagging subscription reads the file.
    const store = await SqliteEventStore.open(file, { clock: { now: () => new Date(++tick) }, subscriptionPageSize: 4 });
    try {
      const live = store.subscribeToAll();
      const filtered = store.subscribeToAll({ filter: { streamPrefixes: ['b-'] } });
      for (let round = 0; round < 3; round++) {
        // One batch: appends to several streams, one refused, one empty, one of two events with metadata.
        const appends = await Promise.allSettled([
          store.appendToStream(`a-${round}`, [{ type: 'A', data: { round } }], 'no_stream'),
          store.appendToStream('b-1', [{ type: 'B', data: [round] }, { type: 'C', data: null, metadata: { actor: 'user:t', correlationId: `c${round}` } }], 'any'),
          store.appendToStream(`a-${round}`, [{ type: 'A', data: 'refused' }], 'no_stream'),
          store.appendToStream('b-2', [], 'any'),
          store.appendToStream('b-1', [{ type: 'D', data: { nested: { round } } }], 'stream_exists'),
        ]);
        expect(appends.map((append) => append.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      }
      const log = await store.readAll();
      expect(log.map((event) => event.position)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
      const lagging = store.subscribeToAll({ after: 2 });
      expect(await take(live, 12)).toEqual(log);
      expect(await take(filtered, 9)).toEqual(log.filter((event) => event.stream.startsWith('b-')));
      expect(await take(lagging, 10)).toEqual(log.slice(2));
      await store.appendToStream('b-1', [{ type: 'E', data: 'after' }], 8);
      const [appended] = await store.readAll({ after: 12 });
      expect([await take(live, 1), await take(filtered, 1), await take(lagging, 1)]).toEqual([[appended], [appended], [appended]]);
    } finally {
      await store.close();
    }
  });

  it('keeps an acknowledged event in memory only until every open subscription has read it', async () => {
    // An event served from memory is the one envelope the store keeps, the same object for every
    // subscription that reads it there; one read back from the file is a new object. Page size 4: the
    // store would otherwise keep up to eight events.
    const store = await SqliteEventStore.open(file, { subscriptionPageSize: 4 });
    try {
      const append = (n: number): Promise<unknown> => store.appendToStream('s', [{ type: 'E', data: { n } }], n === 1 ? 'no_stream' : n - 2);
      const live = store.subscribeToAll();
      const pinned = store.subscribeToAll();
      const liveRead: RecordedEvent[] = [];
      for (const n of [1, 2, 3, 4]) {
        await append(n);
        liveRead.push(...(await take(live, 1)));
      }
      // `pinned` has read nothing yet: all four stay in memory, for it and for whoever opens behind `live`.
      expect(await take(pinned, 1)).toEqual([liveRead[0]]);
      const beside = store.subscribeToAll({ after: 1 });
      const besideRead = await take(beside, 3);
      await beside.close();
      besideRead.forEach((event, index) => expect(event).toBe(liveRead[index + 1]));
      // Once `pinned` closes, `live` is the only reader and has read up to where its last page began:
      // the next commit lets the others go, and a subscription opening behind them reads the file.
      await pinned.close();
      await append(5);
      liveRead.push(...(await take(live, 1)));
      const late = store.subscribeToAll({ after: 1 });
      const lateRead = await take(late, 4);
      await late.close();
      expect(lateRead).toEqual(liveRead.slice(1));
      expect(lateRead).toEqual((await store.readAll()).slice(1));
      lateRead.forEach((event, index) => expect(event).not.toBe(liveRead[index + 1]));
    } finally {
      await store.close();
    }
  });

  it('hands over the data as the JSON text it keeps to a log read that asks for it, and to no other', async () => {
    const store = await SqliteEventStore.open(file);
    try {
      const data = { endpoint: 'a', key: { sealed: 's', fingerprint: 'f' }, values: [1.5, null, 'x"y'] };
      await store.appendToStream('s', [{ type: 'E', data }], 'no_stream');
      const [asked] = await store.readAll({ withDataJson: true });
      expect(asked?.dataJson).toBe(JSON.stringify(data));
      expect(asked?.data).toEqual(data);
      const [plain] = await store.readAll();
      expect(plain).not.toHaveProperty('dataJson');
      const stream = await store.readStream('s');
      expect(stream.status === 'found' && stream.events[0]).not.toHaveProperty('dataJson');
    } finally {
      await store.close();
    }
  });

  it('commits queued appends when closed, then refuses new ones', async () => {
    const store = await SqliteEventStore.open(file);
    const pending = store.appendToStream('s', [{ type: 'E', data: 1 }], 'no_stream');
    await store.close();
    expect(await pending).toEqual({ nextExpectedRevision: 0, position: 1 });
    await expect(store.appendToStream('s', [{ type: 'E', data: 2 }], 0)).rejects.toThrow(/closed/);
    const reopened = await SqliteEventStore.open(file);
    expect(await reopened.headPosition()).toBe(1);
    await reopened.close();
  });

  it('rejects an event whose data is not JSON before it reaches the batch, without failing the others', async () => {
    const store = await SqliteEventStore.open(file);
    try {
      const [bad, good] = await Promise.allSettled([
        store.appendToStream('bad', [{ type: 'E', data: undefined as unknown as null }], 'any'),
        store.appendToStream('good', [{ type: 'E', data: 1 }], 'any'),
      ]);
      expect(bad.status).toBe('rejected');
      expect(good.status).toBe('fulfilled');
      expect(await store.readStream('bad')).toEqual({ status: 'stream_not_found' });
    } finally {
      await store.close();
    }
  });

  it('refuses to append when another store has written to the same file', async () => {
    const first = await SqliteEventStore.open(file);
    const second = await SqliteEventStore.open(file);
    try {
      await first.appendToStream('s', [{ type: 'E', data: 1 }], 'no_stream');
      await expect(second.appendToStream('s', [{ type: 'E', data: 2 }], 'no_stream')).rejects.toThrow(/another process is writing/);
      const read = await first.readStream('s');
      expect(read.status === 'found' && read.events.map((event) => event.data)).toEqual([1]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

