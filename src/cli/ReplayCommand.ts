/**
 * `lwm2m-hub replay`: rebuilds every read model from the event log into a replacement file, logging
 * progress, and swaps it in when done (ReadModelDatabase.ts); a replay that fails leaves the read
 * models as they were. Run it while the service is stopped (a running service rebuilds with the `rebuildReadModels`
 * mutation instead): the read models are the service's, and two projectors must not write them at once.
 */
import { resolve } from 'node:path';
import type { Config } from '../adapters/config/Config.ts';
import { openEventStore } from '../adapters/eventstore/openEventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import { LogFeed } from '../app/kernel/LogFeed.ts';
import { Projector } from '../projections/Projector.ts';
import { ReadModelDatabase } from '../projections/ReadModelDatabase.ts';
import { readModelProjections } from '../projections/ReadModels.ts';

export async function runReplay(config: Config, logger: Logger, stdout: NodeJS.WritableStream): Promise<number> {
  const dataDir = resolve(config.dataDir);
  const store = await openEventStore({ url: config.eventStoreUrl, dataDir, logger });
  const database = ReadModelDatabase.open(dataDir);
  const feed = new LogFeed({ store });
  const projector = new Projector({ store, feed, database, projections: readModelProjections, logger, progressIntervalMs: 1000 });
  try {
    const result = await projector.rebuild();
    stdout.write(`rebuilt ${readModelProjections.length} read models in ${database.path}: ${result.events} events up to position ${result.position} in ${result.durationMs} ms\n`);
    return 0;
  } finally {
    await projector.close();
    await feed.close();
    database.close();
    await store.close();
  }
}
