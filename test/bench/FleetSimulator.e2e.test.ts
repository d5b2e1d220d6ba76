/**
 * The fleet simulator as the benchmarks use it: `lwm2m-hub serve` and the simulator as two processes.
 * Five devices register (plain CoAP, then DTLS PSK), are observed by the server's Auto-observe,
 * answer a Read of /3/0 requested through GraphQL, and send confirmable notifications that the server
 * acknowledges and a GraphQL subscriber hears. Counts are asserted, never times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulator } from '../../bench/fleet/FleetBenchmarkProcesses.ts';
import { importFleet, startHubUnderTest } from '../../bench/fleet/HubUnderTest.ts';
import type { HubUnderTest } from '../../bench/fleet/HubUnderTest.ts';
import { postGraphQL } from '../e2e/GraphQLTestClient.ts';

let dir: string;
let dataDir: string;
let hub: HubUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-fleet-simulator-'));
  dataDir = join(dir, 'data');
  hub = await startHubUnderTest(dataDir);
});

afterAll(async () => {
  hub.serve.child.kill('SIGTERM');
  await hub.serve.exited;
  rmSync(dir, { recursive: true, force: true });
});

interface ReadOperation {
  readonly status: string;
  readonly result: unknown;
}

async function readDeviceObject(endpoint: string): Promise<ReadOperation> {
  const requested = await postGraphQL(hub.serve.graphqlUrl, hub.token, `mutation { readResource(endpoint: "${endpoint}", path: "/3/0") { id } }`);
  expect(requested.errors).toBeUndefined();
  const id = (requested.data as { readResource: { id: string } }).readResource.id;
  for (;;) {
    const response = await postGraphQL(hub.serve.graphqlUrl, hub.token, `{ operation(id: "${id}") { status result } }`);
    const operation = (response.data as { operation: ReadOperation }).operation;
    if (operation.status !== 'PENDING' && operation.status !== 'SENT') return operation;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the fleet simulator against lwm2m-hub', () => {
  it('registers over plain CoAP, is observed, answers a read, and every confirmable notification is acknowledged and heard by the subscriber', async () => {
    const server = `coap://127.0.0.1:${hub.serve.coapPort}`;
    await importFleet(dataDir, { devices: 5, prefix: 'e2e-plain-', serverUri: server, security: 'NO_SEC', seed: 'e2e', lifetime: 600, binding: 'U' });
    let read: Promise<ReadOperation> | undefined;
    const report = await runSimulator(
      ['--server', server, '--devices', '5', '--prefix', 'e2e-plain-', '--rate', '50', '--duration', '8', '--confirmable', '--drain', '30', '--graphql', hub.serve.graphqlUrl, '--token', hub.token],
      (phase) => {
        if (phase === 'notifying') read = readDeviceObject('e2e-plain-0');
      },
    );
    expect(report.registrations).toMatchObject({ done: 5, failed: 0 });
    expect(report.observations.active).toBe(5);
    expect(report.requests.observes).toBe(5);
    expect(report.notifications.sent).toBeGreaterThan(0);
    expect(report.notifications).toMatchObject({ acknowledged: report.notifications.sent, timedOut: 0, reset: 0 });
    expect(report.subscriber).toMatchObject({ received: report.notifications.sent, lost: 0, errors: 0 });
    const operation = await read;
    expect(operation?.status).toBe('SUCCEEDED');
    expect(JSON.stringify(operation?.result)).toContain('lwm2m-hub fleet simulator');
    expect(report.requests.reads).toBe(1);
  });

  it('in queue mode (binding UQ), is observed while awake after its Register, and its notifications are acknowledged', async () => {
    const server = `coap://127.0.0.1:${hub.serve.coapPort}`;
    await importFleet(dataDir, { devices: 5, prefix: 'e2e-queue-', serverUri: server, security: 'NO_SEC', seed: 'e2e', lifetime: 600, binding: 'UQ' });
    const report = await runSimulator(['--server', server, '--devices', '5', '--prefix', 'e2e-queue-', '--queue-mode', '--awake-ms', '30000', '--rate', '20', '--duration', '2', '--confirmable', '--drain', '30']);
    expect(report.registrations).toMatchObject({ done: 5, failed: 0 });
    expect(report.observations.active).toBe(5);
    expect(report.requests.droppedAsleep).toBe(0);
    expect(report.notifications).toMatchObject({ acknowledged: report.notifications.sent, timedOut: 0 });
  });

  it('registers over DTLS with the PSK keys of the CSV it wrote', async () => {
    const server = `coaps://127.0.0.1:${hub.serve.coapsPort}`;
    await importFleet(dataDir, { devices: 5, prefix: 'e2e-psk-', serverUri: server, security: 'PSK', seed: 'e2e', lifetime: 600, binding: 'U' });
    const report = await runSimulator(['--server', server, '--devices', '5', '--prefix', 'e2e-psk-', '--psk-seed', 'e2e', '--rate', '20', '--duration', '2', '--confirmable', '--drain', '30']);
    expect(report.handshakes).toMatchObject({ done: 5, failed: 0 });
    expect(report.registrations).toMatchObject({ done: 5, failed: 0 });
    expect(report.notifications).toMatchObject({ acknowledged: report.notifications.sent, timedOut: 0 });
  });

  it('registers nobody with keys from another seed: the server refuses the handshakes', async () => {
    const server = `coaps://127.0.0.1:${hub.serve.coapsPort}`;
    const failure = await runSimulator(['--server', server, '--devices', '2', '--prefix', 'e2e-psk-', '--psk-seed', 'not-the-seed', '--duration', '0']).then(
      () => undefined,
      (error: unknown) => error,
    );
    // It exits with 1 (nobody registered) after its report, which counts both failures.
    expect(String(failure)).toMatch(/simulator exited with 1: fleet: 0\/2 registered \(2 failed\)/);
    expect(String(failure)).toContain('"handshakes": {\n    "done": 0,\n    "failed": 2');
  });
});
