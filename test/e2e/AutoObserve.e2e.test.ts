/**
 * Issue 7's end to end: upload the DDF of object 3303, set Send measurement, Create alarm and
 * Auto-observe on 5700 through GraphQL, register a device over CoAP, and see the observation start by
 * itself, the measurements flow into the query and a subscription, and one alarm counted on repeats;
 * a new registration observes again.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { collect, postGraphQL, wsClient, wsQuery } from './GraphQLTestClient.ts';

const endpoint = 'auto-observe-1';
const temperatureDdf = readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url), 'utf8');
const setFunctionality = `mutation Set($functionality: FunctionalityInput!) {
  setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: $functionality) { version }
}`;

let dir: string;
let service: RunningService;
let url: string;
let operatorToken: string;
let viewerToken: string;
let device: TestLwM2mClient | undefined;
const socketClients: Client[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-auto-observe-'));
  const { config } = parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-host', '127.0.0.1', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
    {},
  );
  service = await startService(config, {}, silentLogger());
  url = service.graphql.url;
  operatorToken = (await service.tokens.create({ role: 'operator', actor: 'system:test' })).token;
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
});

afterAll(async () => {
  for (const client of socketClients) await client.dispose();
  await device?.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function operator(query: string, variables: Record<string, unknown> = {}): Promise<void> {
  const response = await postGraphQL(url, operatorToken, query, variables);
  expect(response.errors).toBeUndefined();
}

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function observeOperations(): Promise<Array<{ kind: string; status: string; requestedBy: string; paths: string[] }>> {
  const response = await postGraphQL(url, viewerToken, `{ operations(endpoint: "${endpoint}") { kind status requestedBy paths } }`);
  return (response.data as { operations: Array<{ kind: string; status: string; requestedBy: string; paths: string[] }> }).operations.filter(
    (operation) => operation.kind === 'OBSERVE',
  );
}

describe('Auto-observe', () => {
  it('observes 5700 by itself when the device registers, and its values become measurements and one counted alarm', async () => {
    await operator('mutation U($xml: String!) { uploadDeviceProtocol(xml: $xml) { protocols { objectId } } }', { xml: temperatureDdf });
    await operator(setFunctionality, { functionality: { sendMeasurement: { type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' } } });
    await operator(setFunctionality, { functionality: { createAlarm: { severity: 'MAJOR', type: 'c8y_Temperature', status: 'ACTIVE', text: 'temperature {value}' } } });
    await operator(setFunctionality, { functionality: { autoObserve: true } });
    await importTestDevice(service.store, endpoint);

    const socket = wsClient(url, viewerToken);
    socketClients.push(socket);
    const measurements = collect(socket, `subscription { measurementCreated(endpoint: "${endpoint}") { value unit source { path protocolVersion rule } } }`);
    await wsQuery(socket, '{ deviceProtocols { objectId } }');

    const objects = new TestDeviceObjects();
    device = await TestLwM2mClient.start({
      serverHost: '127.0.0.1',
      serverPort: service.coap.local.port,
      endpoint,
      binding: 'U',
      lifetime: 600,
      objectLinks: '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>;ver=1.1',
      device: objects,
    });
    expect((await device.register()).code).toBe('2.01');

    await eventually(() => (objects.observedPaths.includes('/3303/0/5700') ? true : undefined));
    expect(objects.observedPaths).toEqual(['/3303/0/5700']);
    const observed = await eventually(async () => {
      const operations = await observeOperations();
      return operations[0]?.status === 'SUCCEEDED' ? operations : undefined;
    });
    expect(observed).toEqual([{ kind: 'OBSERVE', status: 'SUCCEEDED', requestedBy: 'system:auto-observe', paths: ['/3303/0/5700'] }]);

    objects.set('/3303/0/5700', 22);
    objects.set('/3303/0/5700', 23.5);
    const streamed: unknown[] = [];
    for (let i = 0; i < 3; i++) streamed.push(((await measurements.next(5_000)) as { data: { measurementCreated: unknown } }).data.measurementCreated);
    const source = { path: '/3303/0/5700', protocolVersion: '1.1', rule: 'sendMeasurement' };
    expect(streamed).toEqual([
      { value: 21.5, unit: 'Cel', source },
      { value: 22, unit: 'Cel', source },
      { value: 23.5, unit: 'Cel', source },
    ]);

    // The alarm is decided after the measurement is stored: wait until the third value has counted.
    const queried = await eventually(async () => {
      const response = await postGraphQL(url, viewerToken, `{ measurements(endpoint: "${endpoint}", type: "c8y_TemperatureMeasurement") { edges { node { value } } } alarms(endpoint: "${endpoint}") { totalCount edges { node { type count status text } } } }`);
      return JSON.stringify(response.data).includes('"count":3') ? response : undefined;
    });
    expect(queried.data).toEqual({
      measurements: { edges: [{ node: { value: 21.5 } }, { node: { value: 22 } }, { node: { value: 23.5 } }] },
      alarms: { totalCount: 1, edges: [{ node: { type: 'c8y_Temperature', count: 3, status: 'ACTIVE', text: 'temperature 23.5' } }] },
    });
  });

  it('observes again after a new registration, which ended the old observation', async () => {
    if (!device) throw new Error('no device');
    expect((await device.register()).code).toBe('2.01');
    const observes = await eventually(async () => {
      const operations = await observeOperations();
      return operations.length === 2 && operations.every((operation) => operation.status === 'SUCCEEDED') ? operations : undefined;
    });
    expect(observes.map((operation) => operation.requestedBy)).toEqual(['system:auto-observe', 'system:auto-observe']);
  });
});

describe('Auto-observe set while devices are registered', () => {
  // The guide's "the LwM2M server observes" the resource while Auto-observe is on: a device registered
  // before the setting is not left unobserved until its next Register.
  it('observes the resource at once on the devices already registered, once', async () => {
    if (!device) throw new Error('no device');
    const setOn5701 = setFunctionality.replaceAll('5700', '5701');
    await operator(setOn5701, { functionality: { sendEvent: { type: 'c8y_UnitEvent', text: 'unit {value}' } } });
    await operator(setOn5701, { functionality: { autoObserve: true } });
    const observes = await eventually(async () => {
      const operations = await observeOperations();
      return operations.length === 3 && operations.every((operation) => operation.status === 'SUCCEEDED') ? operations : undefined;
    });
    expect(observes[2]).toEqual({ kind: 'OBSERVE', status: 'SUCCEEDED', requestedBy: 'system:auto-observe', paths: ['/3303/0/5701'] });
    // 5700 was observed already: setting Auto-observe on another resource does not ask for it again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await observeOperations()).map((operation) => operation.paths)).toEqual([['/3303/0/5700'], ['/3303/0/5700'], ['/3303/0/5701']]);
  });
});
