import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteEventStoreOptions } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import type { ContractSubject } from './eventStoreContract.ts';
import { eventStoreContract } from './eventStoreContract.ts';

async function subject(options: SqliteEventStoreOptions): Promise<ContractSubject> {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-contract-'));
  const sizes: number[] = [];
  const pageSize = 50;
  const store = await SqliteEventStore.open(join(dir, 'nested', 'events.sqlite'), {
    ...options,
    subscriptionPageSize: pageSize,
    onSubscriptionPageRead: (events) => sizes.push(events),
  });
  return { store, pageReads: { sizes, pageSize }, dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
}

eventStoreContract('sqlite', () => subject({}));
// Streams are read from the on-disk stream index plus the in-memory tail of recent events: merging
// every few events makes every test cross that boundary.
eventStoreContract('sqlite, stream index merged every 3 events', () => subject({ streamIndexMergeThreshold: 3 }));
