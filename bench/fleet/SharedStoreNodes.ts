/**
 * Several lwm2m-hub nodes in one process, sharing one in-memory event store: the scale-out benchmark's
 * server. Each node is the whole service (`startService`, as `serve` runs it) with its own data
 * directory (read models, node id), its own CoAP and HTTP ports on 127.0.0.1, and one master key for
 * all (the sealed secrets are in the shared log). The embedded SQLite store is one process's and no
 * EventStoreDB server runs here, so the nodes share the in-memory store, and so one process.
 *
 *   node bench/fleet/SharedStoreNodes.ts NODES DIR
 *
 * Prints one JSON line once every node is ready: `{"nodes":[{"nodeId","coapPort","graphqlUrl","dataDir"}]}`
 * (node 0 wrote the admin token into its data directory). Then, for each line `held` on stdin, prints
 * `{"held":[...],"heapUsedBytes":N}`: how many registrations each node holds (by the node id recorded
 * in them) and the process's heap after a collection. On SIGTERM it closes the nodes and exits.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MemoryEventStore } from '../../src/adapters/eventstore/MemoryEventStore.ts';
import type { RunningService } from '../../src/main.ts';
import { startTestService } from '../../test/e2e/TestService.ts';

const nodeCount = Number(process.argv[2]);
const dir = process.argv[3];
if (!Number.isInteger(nodeCount) || nodeCount < 1 || dir === undefined) {
  process.stderr.write('usage: node bench/fleet/SharedStoreNodes.ts NODES DIR\n');
  process.exit(2);
}

/** One key for every node: a node started with another would refuse the log the others sealed. */
const env = { LWM2M_HUB_MASTER_KEY: 'a5'.repeat(32) };
const store = new MemoryEventStore();
const nodes: RunningService[] = [];
// One after the other: the first start creates the admin token, the others find it in the log.
for (let index = 0; index < nodeCount; index++) {
  nodes.push(await startTestService(join(dir, `node-${index}`), ['--node-id', `node-${index}`], env, { store }));
}
process.stdout.write(
  `${JSON.stringify({ nodes: nodes.map((node, index) => ({ nodeId: node.nodeId, coapPort: node.coap.local.port, graphqlUrl: node.graphql.url, dataDir: join(dir, `node-${index}`) })) })}\n`,
);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'held') return;
  const records = nodes[0]?.registrations.registrations() ?? [];
  const held = nodes.map((node) => records.filter((record) => record.nodeId === node.nodeId).length);
  globalThis.gc?.();
  process.stdout.write(`${JSON.stringify({ held, heapUsedBytes: process.memoryUsage().heapUsed })}\n`);
});

process.once('SIGTERM', () => {
  void (async () => {
    for (const node of nodes) await node.close();
    await store.close();
    process.exit(0);
  })();
});
