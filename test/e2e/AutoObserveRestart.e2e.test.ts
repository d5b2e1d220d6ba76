/**
 * Issue 7: the server observes the Auto-observe resources "whenever the device registers ... and again
 * after the service restarts for devices still registered". Two devices stay registered across a
 * restart on the same data directory and CoAP port: one whose observation was established before the
 * stop (it must not be requested again, and its notifications still count), one whose observation an
 * operator cancelled, so without any (Auto-observe is a standing rule: it is observed after the restart).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { postGraphQL } from './GraphQLTestClient.ts';

const observedBefore = 'restart-observed-1';
const unobservedBefore = 'restart-unobserved-1';
const temperatureDdf = readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url), 'utf8');
const objectLinks = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>;ver=1.1';

interface ObserveOperation {
  readonly status: string;
  readonly requestedBy: string;
  readonly paths: readonly string[];
}

let dir: string;
let service: RunningService | undefined;
const devices: TestLwM2mClient[] = [];

async function start(coapPort: number): Promise<RunningService> {
  const { config } = parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-host', '127.0.0.1', '--coap-port', String(coapPort), '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
    {},
  );
  return startService(config, {}, silentLogger());
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-auto-observe-restart-'));
});

afterAll(async () => {
  for (const device of devices) await device.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function graphql(running: RunningService, query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const { token } = await running.tokens.create({ role: 'operator', actor: 'system:test' });
  const response = await postGraphQL(running.graphql.url, token, query, variables);
  expect(response.errors).toBeUndefined();
  return response.data;
}

async function observeOperations(running: RunningService, endpoint: string): Promise<ObserveOperation[]> {
  const data = (await graphql(running, `{ operations(endpoint: "${endpoint}") { kind status requestedBy paths } }`)) as {
    operations: Array<ObserveOperation & { kind: string }>;
  };
  return data.operations.filter((operation) => operation.kind === 'OBSERVE').map(({ status, requestedBy, paths }) => ({ status, requestedBy, paths }));
}

async function registerDevice(running: RunningService, endpoint: string, objects: TestDeviceObjects): Promise<void> {
  await importTestDevice(running.store, endpoint);
  const device = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: running.coap.local.port, endpoint, binding: 'U', lifetime: 600, objectLinks, device: objects });
  devices.push(device);
  expect((await device.register()).code).toBe('2.01');
}

describe('Auto-observe across a restart', () => {
  it('keeps established observations and observes what is missing for devices still registered', async () => {
    const first = await start(0);
    service = first;
    const coapPort = first.coap.local.port;
    await graphql(first, 'mutation U($xml: String!) { uploadDeviceProtocol(xml: $xml) { protocols { objectId } } }', { xml: temperatureDdf });
    await graphql(first, 'mutation { setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: { sendMeasurement: { type: "c8y_TemperatureMeasurement", series: "T", unit: "Cel" } }) { version } }');
    await graphql(first, 'mutation { setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: { autoObserve: true }) { version } }');

    const unobservedObjects = new TestDeviceObjects();
    await registerDevice(first, unobservedBefore, unobservedObjects);
    const observedObjects = new TestDeviceObjects();
    await registerDevice(first, observedBefore, observedObjects);
    for (const endpoint of [unobservedBefore, observedBefore]) {
      await eventually(async () => ((await observeOperations(first, endpoint))[0]?.status === 'SUCCEEDED' ? true : undefined));
    }
    await graphql(first, `mutation { cancelObservation(endpoint: "${unobservedBefore}", path: "/3303/0/5700") { id } }`);
    await eventually(async () => ((await observeOperations(first, unobservedBefore)).length === 1 && unobservedObjects.observedPaths.length === 0 ? true : undefined));

    await first.close();
    service = undefined;
    const second = await start(coapPort);
    service = second;

    expect(second.registrations.registration(observedBefore)).toBeDefined();
    expect(second.registrations.registration(unobservedBefore)).toBeDefined();
    const reobserved = await eventually(async () => {
      const operations = await observeOperations(second, unobservedBefore);
      return operations.length === 2 && operations.every((operation) => operation.status === 'SUCCEEDED') ? operations : undefined;
    });
    expect(reobserved[1]).toEqual({ status: 'SUCCEEDED', requestedBy: 'system:auto-observe', paths: ['/3303/0/5700'] });
    expect(unobservedObjects.observedPaths).toEqual(['/3303/0/5700']);

    // The established observation was not requested again, and its notifications are still taken.
    expect(await observeOperations(second, observedBefore)).toEqual([{ status: 'SUCCEEDED', requestedBy: 'system:auto-observe', paths: ['/3303/0/5700'] }]);
    expect(observedObjects.observedPaths).toEqual(['/3303/0/5700']);
    observedObjects.set('/3303/0/5700', 30.5);
    await eventually(async () => {
      const data = (await graphql(second, `{ measurements(endpoint: "${observedBefore}", type: "c8y_TemperatureMeasurement") { edges { node { value } } } }`)) as {
        measurements: { edges: Array<{ node: { value: number } }> };
      };
      return data.measurements.edges.some((edge) => edge.node.value === 30.5) ? true : undefined;
    });
  });
});
