/**
 * Reading back another process's import over gRPC, against the EventStoreDB test server
 * (test/support/EventStoreDbTestServer.ts): what the server sends is counted, so that a read back
 * that takes the log's tail with it shows, whatever the machine's speed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EventStoreDbEventStore } from '../../../src/adapters/eventstore/EventStoreDbEventStore.ts';
import { commitImport, committedEvents } from '../../../src/app/kernel/ImportCommits.ts';
import { importStream } from '../../../src/domain/imports/StagedImports.ts';
import { EventStoreDbTestServer } from '../../support/EventStoreDbTestServer.ts';

let server: EventStoreDbTestServer | undefined;
let store: EventStoreDbEventStore | undefined;

afterEach(async () => {
  await store?.close();
  await server?.stop();
});

describe('committedEvents on EventStoreDB', () => {
  it("reads back a one-row import committed while the log grew without the log's tail after it", async () => {
    server = await EventStoreDbTestServer.start();
    store = EventStoreDbEventStore.connect(server.url);
    const { position } = await store.appendToStream('thing-1', [{ type: 'Noted', data: { note: 'staged', importId: 'one-row', staged: true } }], 'no_stream');
    // Other rows, other imports: the log a view following it has not reached when it meets the commit.
    for (let thing = 2; thing < 5_002; thing++) server.appendDirect(`thing-${thing}`, [{ type: 'Noted', data: { note: 'later' } }]);
    await commitImport(store, 'Committed', { importId: 'one-row', firstPosition: position, lastPosition: position }, {});
    const read = await store.readStream(importStream('one-row'));
    const commit = read.status === 'found' ? read.events[0] : undefined;
    if (commit === undefined) throw new Error('the commit is not in the log');

    const expand = committedEvents(store, { streamPrefixes: ['thing-'], commitType: 'Committed', pageSize: 10_000 });
    const before = server.eventsSent;
    const counted = await expand([commit]);
    expect(counted.map((event) => (event.data as { note: string }).note)).toEqual(['staged']);
    // A short first page, what the server sends before the client's cancellation reaches it (the
    // HTTP/2 window) and the page that finds the log's head: not the 5,000 events committed after it.
    expect(server.eventsSent - before).toBeLessThan(1_000);
  });
});
