/**
 * The contract against a real EventStoreDB server, when EVENTSTORE_URL names one
 * (e.g. `esdb://localhost:2113?tls=false`). Without it the suite is skipped, and says why.
 */
import { describe, it } from 'vitest';
import { EventStoreDbEventStore } from '../../src/adapters/eventstore/EventStoreDbEventStore.ts';
import { eventStoreContract } from './eventStoreContract.ts';

const url = process.env['EVENTSTORE_URL'];

if (url) {
  eventStoreContract('eventstoredb', () => Promise.resolve({ store: EventStoreDbEventStore.connect(url) }));
} else {
  process.stderr.write('event store contract: eventstoredb skipped, EVENTSTORE_URL is not set\n');
  describe('event store contract: eventstoredb', () => {
    it.skip('skipped: EVENTSTORE_URL is not set (set it to esdb://host:2113?tls=false to run the contract against EventStoreDB)', () => {});
  });
}
