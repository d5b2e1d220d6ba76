import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { EventStoreLockedError } from '../../../src/adapters/eventstore/SqliteProcessLock.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'appendUntilKilled.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function storeFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-lock-'));
  dirs.push(dir);
  return join(dir, 'events.sqlite');
}

describe('SqliteEventStore: one process per store', () => {
  it('refuses to open a store another live process has open, naming it, and takes over once it died', async () => {
    const file = storeFile();
    const child = spawn(process.execPath, [fixture, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const lines = createInterface({ input: child.stdout });
      await new Promise<void>((resolve) => lines.on('line', (line) => line === 'ready' && resolve()));
      const refused = SqliteEventStore.open(file);
      await expect(refused).rejects.toThrow(EventStoreLockedError);
      await expect(SqliteEventStore.open(file)).rejects.toThrow(`is open in process ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // The dead process's lock is stale: the store opens, with what the child acknowledged.
    const store = await SqliteEventStore.open(file);
    try {
      expect(await store.headPosition()).toBeGreaterThanOrEqual(0);
      await store.appendToStream('after-takeover', [{ type: 'E', data: 1 }], 'no_stream');
    } finally {
      await store.close();
    }
  });

  it('lets one process open a store twice, and removes the lock when the last one closes', async () => {
    const file = storeFile();
    const first = await SqliteEventStore.open(file);
    const second = await SqliteEventStore.open(file);
    expect(existsSync(`${file}.lock`)).toBe(true);
    await first.close();
    expect(existsSync(`${file}.lock`)).toBe(true);
    await second.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
