/**
 * A SQLite event store and a read-model database in a fresh temp dir, with a projector running the
 * given projections over them: the setting of a read model's integration tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
import type { Projection } from '../../src/projections/Projection.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';

export interface ProjectionTestBed {
  readonly store: SqliteEventStore;
  readonly database: ReadModelDatabase;
  readonly projector: Projector;
  /** Closes the projector, the database and the store, and removes the temp dir. */
  close(): Promise<void>;
}

export async function openProjectionTestBed(dirPrefix: string, projections: readonly Projection[]): Promise<ProjectionTestBed> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  const database = ReadModelDatabase.open(dir);
  const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections, logger: silentLogger() });
  projector.start();
  return {
    store,
    database,
    projector,
    async close() {
      await projector.close();
      database.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
