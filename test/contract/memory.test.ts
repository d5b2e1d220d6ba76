import { MemoryEventStore } from '../../src/adapters/eventstore/MemoryEventStore.ts';
import { eventStoreContract } from './eventStoreContract.ts';

eventStoreContract('memory', () => {
  const sizes: number[] = [];
  const pageSize = 50;
  const store = new MemoryEventStore({ subscriptionPageSize: pageSize, onSubscriptionPageRead: (events) => sizes.push(events) });
  return Promise.resolve({ store, pageReads: { sizes, pageSize } });
});
