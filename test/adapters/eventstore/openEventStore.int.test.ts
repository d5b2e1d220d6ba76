import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { EventStoreDbEventStore } from '../../../src/adapters/eventstore/EventStoreDbEventStore.ts';
import { openEventStore, EventStoreUrlError } from '../../../src/adapters/eventstore/openEventStore.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';

describe('openEventStore', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('opens the embedded SQLite store at <dataDir>/events.sqlite when no URL is given, creating the directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lwm2m-hub-open-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    const store = await openEventStore({ url: '', dataDir, logger: silentLogger() });
    expect(store).toBeInstanceOf(SqliteEventStore);
    await store.appendToStream('s', [{ type: 'E', data: 1 }], 'no_stream');
    await store.close();
    expect(existsSync(join(dataDir, 'events.sqlite'))).toBe(true);
    const reopened = await openEventStore({ url: '', dataDir, logger: silentLogger() });
    expect(await reopened.headPosition()).toBe(1);
    await reopened.close();
  });

  it('selects EventStoreDB for esdb:// and esdb+discover:// (connecting lazily)', async () => {
    for (const url of ['esdb://127.0.0.1:2113?tls=false', 'esdb+discover://127.0.0.1:2113?tls=false']) {
      const store = await openEventStore({ url, dataDir: '/nonexistent', logger: silentLogger() });
      expect(store).toBeInstanceOf(EventStoreDbEventStore);
      await store.close();
    }
  });

  it('rejects any other scheme with a clear error', async () => {
    await expect(openEventStore({ url: 'postgres://localhost/db', dataDir: '/tmp', logger: silentLogger() })).rejects.toThrow(EventStoreUrlError);
    await expect(openEventStore({ url: 'postgres://localhost/db', dataDir: '/tmp', logger: silentLogger() })).rejects.toThrow(/"postgres:".*esdb:\/\//);
    await expect(openEventStore({ url: 'localhost:2113', dataDir: '/tmp', logger: silentLogger() })).rejects.toThrow(/\(none\)/);
  });
});
