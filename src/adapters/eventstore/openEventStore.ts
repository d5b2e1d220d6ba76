/**
 * Chooses the event store from the configured connection string: `esdb://` or `esdb+discover://`
 * selects EventStoreDB, an empty string the embedded SQLite store in the data directory.
 */
import { join } from 'node:path';
import type { Logger } from '../logging/Logger.ts';
import type { EventStore } from './EventStore.ts';
import { EventStoreDbEventStore } from './EventStoreDbEventStore.ts';
import { SqliteEventStore } from './SqliteEventStore.ts';

export interface OpenEventStoreOptions {
  /** `esdb://...`, `esdb+discover://...`, or empty for the embedded store. */
  readonly url: string;
  readonly dataDir: string;
  readonly logger: Logger;
}

export class EventStoreUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreUrlError';
  }
}

export async function openEventStore(options: OpenEventStoreOptions): Promise<EventStore> {
  const { url, dataDir, logger } = options;
  if (url === '') {
    const file = join(dataDir, 'events.sqlite');
    const store = await SqliteEventStore.open(file);
    logger.info({ file }, 'embedded SQLite event store opened');
    return store;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'esdb' || scheme === 'esdb+discover') {
    const store = EventStoreDbEventStore.connect(url, { logger });
    // The connection string may carry credentials: log the scheme only.
    logger.info({ scheme }, 'EventStoreDB event store selected');
    return store;
  }
  throw new EventStoreUrlError(
    `unsupported event store URL scheme ${scheme === undefined ? '(none)' : `"${scheme}:"`}: use esdb:// or esdb+discover:// for EventStoreDB, or leave it empty for the embedded SQLite store`,
  );
}
