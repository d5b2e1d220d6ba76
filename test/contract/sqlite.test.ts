import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { eventStoreContract } from './eventStoreContract.ts';

eventStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-contract-'));
  const sizes: number[] = [];
  const pageSize = 50;
  const store = await SqliteEventStore.open(join(dir, 'nested', 'events.sqlite'), {
    subscriptionPageSize: pageSize,
    onSubscriptionPageRead: (events) => sizes.push(events),
  });
  return { store, pageReads: { sizes, pageSize }, dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
});
