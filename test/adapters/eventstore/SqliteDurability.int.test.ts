/**
 * Durability of the SQLite store: a child process appends continuously and prints every append once
 * it is acknowledged; the test kills it with SIGKILL in the middle of that stream of appends, reopens
 * the file and checks that every acknowledged event is there and that no append is half-written.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';

interface Acknowledged {
  readonly stream: string;
  readonly append: number;
  readonly count: number;
  readonly lastRevision: number;
}

interface AppendedData {
  readonly writer: number;
  readonly append: number;
  readonly index: number;
  readonly count: number;
}

const fixture = join(import.meta.dirname, 'fixtures', 'appendUntilKilled.ts');

/** Runs the fixture until it has acknowledged `minimum` appends, then kills it with SIGKILL. */
async function appendThenKill(file: string, minimum: number): Promise<Acknowledged[]> {
  const child = spawn(process.execPath, [fixture, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acknowledged: Acknowledged[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line === 'ready') continue;
    acknowledged.push(JSON.parse(line) as Acknowledged);
    if (acknowledged.length === minimum) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  return acknowledged;
}

describe('SqliteEventStore durability', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged append and no half-written one after SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-durability-'));
    dirs.push(dir);
    const file = join(dir, 'events.sqlite');
    const acknowledged = await appendThenKill(file, 1500);
    expect(acknowledged.length).toBeGreaterThanOrEqual(1500);

    const store = await SqliteEventStore.open(file);
    try {
      for (const ack of acknowledged) {
        const read = await store.readStream(ack.stream, { fromRevision: ack.lastRevision - ack.count + 1, maxCount: ack.count });
        expect(read.status).toBe('found');
        if (read.status !== 'found') continue;
        const appended = read.events.map((event) => {
          const { append, index, count } = event.data as unknown as AppendedData;
          return { append, index, count };
        });
        expect(appended).toEqual(Array.from({ length: ack.count }, (_, index) => ({ append: ack.append, index, count: ack.count })));
      }

      // All or nothing: every append in the log is whole, and each stream's appends follow each other.
      const all = await store.readAll();
      expect(all.length).toBeGreaterThanOrEqual(acknowledged.reduce((sum, ack) => sum + ack.count, 0));
      const nextAppend = new Map<string, number>();
      for (let position = 0; position < all.length; ) {
        const first = all[position]!;
        const data = first.data as unknown as AppendedData;
        expect(data.index).toBe(0);
        expect(data.append).toBe(nextAppend.get(first.stream) ?? 0);
        nextAppend.set(first.stream, data.append + 1);
        const group = all.slice(position, position + data.count);
        expect(group.map((event) => (event.data as unknown as AppendedData).index)).toEqual(Array.from({ length: data.count }, (_, index) => index));
        expect(group.every((event) => event.stream === first.stream)).toBe(true);
        position += data.count;
      }

      // The reopened store goes on from where the log ends.
      const stream = acknowledged[0]!.stream;
      const last = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      const lastRevision = last.status === 'found' ? last.events[0]!.revision : -1;
      const result = await store.appendToStream(stream, [{ type: 'AfterRestart', data: null }], lastRevision);
      expect(result.nextExpectedRevision).toBe(lastRevision + 1);
      expect(result.position).toBe(all.at(-1)!.position + 1);
    } finally {
      await store.close();
    }
  });
});
