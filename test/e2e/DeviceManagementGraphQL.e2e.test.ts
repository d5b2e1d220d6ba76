/**
 * Device management through the GraphQL API of the real service: a node-coap test device registers
 * over CoAP on loopback, and an operator reads, writes, executes, observes and cancels through
 * GraphQL while a viewer watches the device's registration, its operations and its values, over HTTP
 * and WebSocket; observed 3303 values flow through the uploaded protocol into measurements.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { OptionNumber, stringOptions, uintOption, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { registerRawDevice } from '../support/RawCoapPeer.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { collect, postGraphQL, wsClient, wsQuery } from './GraphQLTestClient.ts';
import { startTestService } from './TestService.ts';

const endpoint = 'dm-graphql-1';
const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>;ver=1.1';
const temperatureDdf = readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url), 'utf8');

let dir: string;
let service: RunningService;
let url: string;
let operatorToken: string;
let viewerToken: string;
let device: TestLwM2mClient;
let objects: TestDeviceObjects;
const clients: Client[] = [];

const operationFields = 'id endpoint kind paths content status requestedBy responseCode result reason attempts requestedAt sentAt completedAt';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-dm-graphql-'));
  service = await startTestService(dir);
  url = service.graphql.url;
  operatorToken = (await service.tokens.create({ role: 'operator', actor: 'system:test' })).token;
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
  await importTestDevice(service.store, endpoint);
  objects = new TestDeviceObjects();
  device = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint, binding: 'U', lifetime: 600, objectLinks: links, device: objects });
  expect((await device.register()).code).toBe('2.01');
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await device.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function viewerSocket(): Client {
  const client = wsClient(url, viewerToken);
  clients.push(client);
  return client;
}

async function operate(mutation: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await postGraphQL(url, operatorToken, mutation, variables);
  expect(response.errors).toBeUndefined();
  const operation = Object.values(response.data ?? {})[0] as Record<string, unknown>;
  return operation;
}

/** The operation once it has ended, as the operation query shows it. */
async function settled(id: unknown, ms = 5_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const response = await postGraphQL(url, viewerToken, `query Op($id: ID!) { operation(id: $id) { ${operationFields} } }`, { id });
    const operation = (response.data as { operation: Record<string, unknown> }).operation;
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(operation['status']))) return operation;
    if (Date.now() > deadline) throw new Error(`operation ${String(id)} still ${String(operation['status'])}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('registration state', () => {
  it('shows the device online with its registration, and offline ones as such', async () => {
    const response = await postGraphQL(
      url,
      viewerToken,
      `{ device(endpoint: "${endpoint}") { online lastSeen registration { address port channel lifetime lwm2mVersion binding queueMode rootPath contentFormats objectLinks { objectId instanceId version } } } }`,
    );
    expect(response.errors).toBeUndefined();
    const data = response.data as { device: { online: boolean; lastSeen: string; registration: Record<string, unknown> } };
    expect(data.device.online).toBe(true);
    expect(Date.parse(data.device.lastSeen)).toBeGreaterThan(Date.now() - 60_000);
    expect(data.device.registration).toEqual({
      address: '127.0.0.1',
      port: device.port,
      channel: 'plain',
      lifetime: 600,
      lwm2mVersion: '1.1',
      binding: 'U',
      queueMode: false,
      rootPath: '/',
      contentFormats: [110, 0],
      objectLinks: [
        { objectId: 1, instanceId: 0, version: null },
        { objectId: 3, instanceId: 0, version: null },
        { objectId: 3303, instanceId: 0, version: '1.1' },
      ],
    });

    await importTestDevice(service.store, 'dm-graphql-never-registered');
    await service.projector.waitFor(await service.store.headPosition());
    const offline = await postGraphQL(url, viewerToken, '{ device(endpoint: "dm-graphql-never-registered") { online lastSeen registration { address } resources { path } operations { id } } }');
    expect(offline.data).toEqual({ device: { online: false, lastSeen: null, registration: null, resources: [], operations: [] } });
  });
});

describe('live registration state', () => {
  it('tells deviceChanged when the device updates its registration, with its new registration', async () => {
    const socket = viewerSocket();
    const changes = collect(socket, `subscription { deviceChanged(endpoint: "${endpoint}") { endpoint online registration { lifetime } } }`);
    await wsQuery(socket, '{ deviceProtocols { objectId } }');
    expect((await device.update({ query: ['lt=900'] })).code).toBe('2.04');
    expect(await changes.next()).toEqual({ data: { deviceChanged: { endpoint, online: true, registration: { lifetime: 900 } } } });
    changes.dispose();
  });
});

describe('operations', () => {
  it('reads an instance: the operation live over the WebSocket, the values typed in Device.resources', async () => {
    const socket = viewerSocket();
    const updates = collect(socket, `subscription { operationUpdated(endpoint: "${endpoint}") { id status responseCode } }`);
    const values = collect(socket, `subscription { resourceValues(endpoint: "${endpoint}", path: "/3/0") { path type text value source } }`);
    await wsQuery(socket, '{ deviceProtocols { objectId } }');

    const read = await operate(`mutation { readResource(endpoint: "${endpoint}", path: "/3/0") { ${operationFields} } }`);
    expect(read).toMatchObject({ endpoint, kind: 'READ', paths: ['/3/0'], content: null });
    expect(String(read['requestedBy'])).toMatch(/^user:/);
    expect(['PENDING', 'SENT', 'SUCCEEDED']).toContain(read['status']);
    const done = await settled(read['id']);
    expect(done).toMatchObject({ status: 'SUCCEEDED', responseCode: '2.05', attempts: 1 });

    const statuses: unknown[] = [];
    for (;;) {
      const update = ((await updates.next()) as { data: { operationUpdated: { id: string; status: string } } }).data.operationUpdated;
      expect(update.id).toBe(read['id']);
      statuses.push(update.status);
      if (update.status === 'SUCCEEDED') break;
    }
    expect(statuses).toEqual(['PENDING', 'SENT', 'SUCCEEDED']);
    const streamed = ((await values.next()) as { data: { resourceValues: Array<Record<string, unknown>> } }).data.resourceValues;
    expect(streamed).toContainEqual({ path: '/3/0/9', type: 'integer', text: '87', value: 87, source: 'read' });

    const resources = await postGraphQL(url, viewerToken, `{ device(endpoint: "${endpoint}") { resources(path: "/3/0") { path type text value deviceTime source } } }`);
    const rows = (resources.data as { device: { resources: Array<Record<string, unknown>> } }).device.resources;
    expect(rows.find((row) => row['path'] === '/3/0/2')).toEqual({ path: '/3/0/2', type: 'string', text: 'SN-0001', value: 'SN-0001', deviceTime: false, source: 'read' });
    expect(rows.find((row) => row['path'] === '/3/0/9')).toMatchObject({ type: 'integer', value: 87 });
  });

  it('writes, executes with arguments, writes attributes and discovers', async () => {
    const write = await operate(
      `mutation W($values: [ResourceValueInput!]!) { writeResource(endpoint: "${endpoint}", path: "/3/0/14", values: $values) { id kind content } }`,
      { values: [{ path: '/3/0/14', type: 'string', text: '+02' }] },
    );
    expect(write).toMatchObject({ kind: 'WRITE_REPLACE', content: { values: [{ path: '/3/0/14', type: 'string', text: '+02' }] } });
    expect(await settled(write['id'])).toMatchObject({ status: 'SUCCEEDED', responseCode: '2.04' });
    expect(objects.resources.get('/3/0/14')?.value).toBe('+02');

    const execute = await operate(`mutation { execute(endpoint: "${endpoint}", path: "/3/0/4", arguments: "0='now'") { id kind } }`);
    expect(await settled(execute['id'])).toMatchObject({ kind: 'EXECUTE', status: 'SUCCEEDED' });
    expect(objects.executed).toContain("/3/0/4 0='now'");

    const attributes = await operate(`mutation { writeAttributes(endpoint: "${endpoint}", path: "/3303/0/5700", attributes: { pmin: 10, gt: 30.5, st: null }) { id content } }`);
    expect(attributes['content']).toEqual({ pmin: 10, gt: 30.5, st: null });
    expect(await settled(attributes['id'])).toMatchObject({ status: 'SUCCEEDED' });
    expect(objects.attributes.get('/3303/0/5700')).toEqual(expect.arrayContaining(['pmin=10', 'gt=30.5', 'st']));
    const noAttributes = await postGraphQL(url, operatorToken, `mutation { writeAttributes(endpoint: "${endpoint}", path: "/3/0", attributes: {}) { id } }`);
    expect(noAttributes.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');

    const discover = await operate(`mutation { discover(endpoint: "${endpoint}", path: "/3303") { id } }`);
    const discovered = await settled(discover['id']);
    expect(discovered).toMatchObject({ status: 'SUCCEEDED', responseCode: '2.05' });
    expect(JSON.stringify(discovered['result'])).toContain('3303');
  });

  it('observes 5700 after the 3303 protocol upload: notifications become values and measurements; then cancels', async () => {
    await operate('mutation U($xml: String!) { uploadDeviceProtocol(xml: $xml) { protocols { objectId } } }', { xml: temperatureDdf });
    await operate('mutation { setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: { sendMeasurement: { type: "c8y_Temperature", series: "T", unit: "Cel" } }) { version } }');
    const socket = viewerSocket();
    const values = collect(socket, `subscription { resourceValues(endpoint: "${endpoint}", path: "/3303/0/5700") { text value source } }`);
    const measurements = collect(socket, `subscription { measurementCreated(endpoint: "${endpoint}") { value unit source { protocolVersion } } }`);
    await wsQuery(socket, '{ deviceProtocols { objectId } }');

    const observe = await operate(`mutation { observe(endpoint: "${endpoint}", path: "/3303/0/5700") { id kind } }`);
    expect(await settled(observe['id'])).toMatchObject({ kind: 'OBSERVE', status: 'SUCCEEDED' });
    objects.set('/3303/0/5700', 24.5);
    const texts: unknown[] = [];
    while (!texts.includes('24.5')) texts.push(((await values.next()) as { data: { resourceValues: Array<{ text: string }> } }).data.resourceValues[0]?.text);
    expect(texts).toEqual(['21.5', '24.5']);
    expect(((await measurements.next()) as { data: unknown }).data).toEqual({ measurementCreated: { value: 21.5, unit: 'Cel', source: { protocolVersion: '1.1' } } });
    expect(((await measurements.next()) as { data: unknown }).data).toEqual({ measurementCreated: { value: 24.5, unit: 'Cel', source: { protocolVersion: '1.1' } } });

    const cancel = await operate(`mutation { cancelObservation(endpoint: "${endpoint}", path: "/3303/0/5700") { id kind } }`);
    expect(await settled(cancel['id'])).toMatchObject({ kind: 'CANCEL_OBSERVATION', status: 'SUCCEEDED' });
    expect(objects.observedPaths).toEqual([]);
  });

  it('refuses a write that breaks the validation rules of its resource before queueing it, and writes one that keeps them', async () => {
    objects.set('/3303/0/5750', 'outdoor');
    await operate('mutation { addValidationRuleGroup(objectId: 3303, resourceId: 5750, groupId: "not-test", rules: [{ type: STRING, operator: EQUALS_NOT, value: "test" }]) { groupId } }');
    const before = ((await postGraphQL(url, viewerToken, `{ operations(endpoint: "${endpoint}") { id } }`)).data as { operations: unknown[] }).operations.length;

    const refused = await postGraphQL(url, operatorToken, `mutation { writeResource(endpoint: "${endpoint}", path: "/3303/0/5750", values: [{ path: "/3303/0/5750", type: "string", text: "test" }]) { id } }`);
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toContain('/3303/0/5750');
    const rejections = refused.errors?.[0]?.extensions?.['rejections'] as Array<{ path: string; value: string; groups: Array<{ groupId: string }> }>;
    expect(rejections.map((rejection) => [rejection.path, rejection.value, rejection.groups.map((group) => group.groupId)])).toEqual([['/3303/0/5750', 'test', ['not-test']]]);
    const composite = await postGraphQL(
      url,
      operatorToken,
      `mutation { writeComposite(endpoint: "${endpoint}", values: [{ path: "/3/0/14", type: "string", text: "+04" }, { path: "/3303/0/5750", type: "string", text: "test" }]) { id } }`,
    );
    expect(composite.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const after = ((await postGraphQL(url, viewerToken, `{ operations(endpoint: "${endpoint}") { id } }`)).data as { operations: unknown[] }).operations.length;
    expect(after).toBe(before);

    const allowed = await operate(`mutation { writeResource(endpoint: "${endpoint}", path: "/3303/0/5750", values: [{ path: "/3303/0/5750", type: "string", text: "indoor" }]) { id } }`);
    expect(await settled(allowed['id'])).toMatchObject({ status: 'SUCCEEDED' });
    expect(objects.resources.get('/3303/0/5750')?.value).toBe('indoor');
  });

  it('reads composite, cancels a queued operation, lists the operations, and keeps viewers from operating', async () => {
    const composite = await operate(`mutation { readComposite(endpoint: "${endpoint}", paths: ["/3/0/0", "/3303/0/5700"]) { id kind paths } }`);
    expect(composite).toMatchObject({ kind: 'READ_COMPOSITE', paths: ['/3/0/0', '/3303/0/5700'] });
    expect(await settled(composite['id'])).toMatchObject({ status: 'SUCCEEDED' });

    // A device that is not registered: its operation waits in the queue until it is.
    const queued = await operate('mutation { readResource(endpoint: "dm-graphql-never-registered", path: "/3/0/9") { id status } }');
    expect(queued['status']).toBe('PENDING');
    const cancelled = await operate(`mutation C($id: ID!) { cancelOperation(endpoint: "dm-graphql-never-registered", id: $id, reason: "changed my mind") { id status reason } }`, {
      id: queued['id'],
    });
    expect(cancelled).toEqual({ id: queued['id'], status: 'CANCELLED', reason: 'changed my mind' });

    const listed = await postGraphQL(url, viewerToken, `{ operations(endpoint: "${endpoint}") { kind status } device(endpoint: "${endpoint}") { operations(first: 2) { kind } } }`);
    const data = listed.data as { operations: Array<{ kind: string; status: string }>; device: { operations: unknown[] } };
    expect(data.operations.map((operation) => operation.kind)).toEqual([
      'READ',
      'WRITE_REPLACE',
      'EXECUTE',
      'WRITE_ATTRIBUTES',
      'DISCOVER',
      'OBSERVE',
      'CANCEL_OBSERVATION',
      'WRITE_REPLACE',
      'READ_COMPOSITE',
    ]);
    expect(data.device.operations).toEqual([{ kind: 'READ' }, { kind: 'WRITE_REPLACE' }]);

    for (const mutation of [
      `mutation { readResource(endpoint: "${endpoint}", path: "/3/0") { id } }`,
      `mutation { deleteInstance(endpoint: "${endpoint}", path: "/3303/0") { id } }`,
      `mutation { writeComposite(endpoint: "${endpoint}", values: [{ path: "/3/0/14", type: "string", text: "+03" }]) { id } }`,
    ]) {
      const refused = await postGraphQL(url, viewerToken, mutation);
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    }
    const badPath = await postGraphQL(url, operatorToken, `mutation { readResource(endpoint: "${endpoint}", path: "not a path") { id } }`);
    expect(badPath.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('puts the 1.2 attributes edge, con and hqmax on the wire to a 1.2 device, and fails them for a 1.1 device with the reason', async () => {
    const rawEndpoint = 'dm-graphql-raw-12';
    await importTestDevice(service.store, rawEndpoint);
    const raw = await registerRawDevice(service.coap.local, rawEndpoint, '</>;rt="oma.lwm2m";ct="110 11544",</3/0>,</3303/0>', ['lwm2m=1.2']);
    try {
      const attributes = await operate(`mutation { writeAttributes(endpoint: "${rawEndpoint}", path: "/3303/0/5700", attributes: { edge: 1, con: 1, hqmax: 10, pmin: null }) { id content } }`);
      expect(attributes['content']).toEqual({ edge: 1, con: 1, hqmax: 10, pmin: null });
      const put = await raw.request('0.03');
      expect(stringOptions(put.message.options, OptionNumber.UriQuery)).toEqual(['pmin', 'edge=1', 'con=1', 'hqmax=10']);
      raw.reply(put.message, '2.04');
      expect(await settled(attributes['id'])).toMatchObject({ status: 'SUCCEEDED', responseCode: '2.04' });
    } finally {
      await raw.close();
    }
    const refused = await operate(`mutation { writeAttributes(endpoint: "${endpoint}", path: "/3303/0/5700", attributes: { con: 1 }) { id } }`);
    expect(await settled(refused['id'])).toMatchObject({ status: 'FAILED', reason: expect.stringContaining('con need LwM2M 1.2') as unknown });
    expect(objects.attributes.get('/3303/0/5700')).not.toContain('con=1');
    const badValue = await postGraphQL(url, operatorToken, `mutation { writeAttributes(endpoint: "${endpoint}", path: "/3303/0/5700", attributes: { edge: 2 }) { id } }`);
    expect(badValue.errors?.[0]?.message).toContain('edge must be 0 or 1');
  });

  it('puts what an operator chose on the wire: a format, a Discover depth, Observe attributes, the root, a cancel by Reset or of a composite set', async () => {
    const rawEndpoint = 'dm-graphql-raw';
    await importTestDevice(service.store, rawEndpoint);
    const raw = await registerRawDevice(service.coap.local, rawEndpoint, '</>;rt="oma.lwm2m";ct=110,</3/0>,</3303/0>');
    try {
      const read = await operate(`mutation { readResource(endpoint: "${rawEndpoint}", path: "/3/0/9", format: 60) { id } }`);
      const get = await raw.request('0.01');
      expect(uintOption(get.message.options, OptionNumber.Accept)).toBe(60);
      raw.reply(get.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, 60)], Uint8Array.of(0x18, 0x57));
      expect(await settled(read['id'])).toMatchObject({ status: 'SUCCEEDED', result: { contentFormat: 60, values: [{ path: '/3/0/9', type: 'integer', text: '87' }] } });

      const discover = await operate(`mutation { discover(endpoint: "${rawEndpoint}", path: "/3", depth: 2) { id } }`);
      const links = await raw.request('0.01', get.index);
      expect(stringOptions(links.message.options, OptionNumber.UriQuery)).toEqual(['depth=2']);
      raw.reply(links.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, 40)], new TextEncoder().encode('</3>,</3/0>,</3/0/9>'));
      expect(await settled(discover['id'])).toMatchObject({ status: 'SUCCEEDED' });

      const observe = await operate(`mutation { observe(endpoint: "${rawEndpoint}", path: "/3303/0/5700", format: 0, attributes: { pmin: 5, gt: 30.5 }) { id content } }`);
      expect(observe['content']).toEqual({ pmin: 5, gt: 30.5 });
      const observed = await raw.request('0.01', links.index);
      expect(uintOption(observed.message.options, OptionNumber.Accept)).toBe(0);
      expect(stringOptions(observed.message.options, OptionNumber.UriQuery)).toEqual(['pmin=5', 'gt=30.5']);
      raw.reply(observed.message, '2.05', [uintOptionOf(OptionNumber.Observe, 1), uintOptionOf(OptionNumber.ContentFormat, 0)], new TextEncoder().encode('21.5'));
      expect(await settled(observe['id'])).toMatchObject({ status: 'SUCCEEDED' });
      const reset = await operate(`mutation { cancelObservation(endpoint: "${rawEndpoint}", path: "/3303/0/5700", byReset: true) { id content } }`);
      expect(reset['content']).toEqual({ reset: true });
      expect(await settled(reset['id'])).toMatchObject({ kind: 'CANCEL_OBSERVATION', status: 'SUCCEEDED', responseCode: null });

      const composite = await operate(`mutation { observeComposite(endpoint: "${rawEndpoint}", paths: ["/"], format: 110) { id } }`);
      const fetch = await raw.request('0.05', observed.index);
      expect(new TextDecoder().decode(fetch.message.payload)).toBe('[{"n":"/"}]');
      raw.reply(fetch.message, '2.05', [uintOptionOf(OptionNumber.Observe, 1), uintOptionOf(OptionNumber.ContentFormat, 110)], new TextEncoder().encode('[{"n":"/3/0/9","v":87}]'));
      expect(await settled(composite['id'])).toMatchObject({ status: 'SUCCEEDED' });
      const cancel = await operate(`mutation { cancelObservation(endpoint: "${rawEndpoint}", paths: ["/"]) { id paths } }`);
      expect(cancel['paths']).toEqual(['/']);
      const refetch = await raw.request('0.05', fetch.index);
      expect(uintOption(refetch.message.options, OptionNumber.Observe)).toBe(1);
      expect([uintOption(refetch.message.options, OptionNumber.ContentFormat), uintOption(refetch.message.options, OptionNumber.Accept)]).toEqual([110, 110]);
      raw.reply(refetch.message, '2.05');
      expect(await settled(cancel['id'])).toMatchObject({ status: 'SUCCEEDED', responseCode: '2.05' });

      for (const [mutation, message] of [
        [`mutation { cancelObservation(endpoint: "${rawEndpoint}") { id } }`, 'give either path or paths (the set of an Observe-Composite)'],
        [`mutation { readResource(endpoint: "${rawEndpoint}", path: "/3/0", format: 60) { id } }`, 'content format 60 does not fit read /3/0'],
        [`mutation { discover(endpoint: "${rawEndpoint}", path: "/3", depth: 9) { id } }`, 'discover content must be null or { "depth": 0..3 }'],
      ] as const) {
        const refused = await postGraphQL(url, operatorToken, mutation);
        expect(refused.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
        expect(refused.errors?.[0]?.message).toContain(message);
      }
    } finally {
      await raw.close();
    }
  });
});

describe('the newest operations', () => {
  it('answers the newest ones, oldest of them first, where first alone answers the oldest', async () => {
    const all = await postGraphQL(url, viewerToken, `{ operations(endpoint: "${endpoint}", first: 500) { id } }`);
    const ids = (all.data as { operations: Array<{ id: string }> }).operations.map((operation) => operation.id);
    expect(ids.length).toBeGreaterThan(3);
    const newest = await postGraphQL(url, viewerToken, `{ operations(endpoint: "${endpoint}", first: 2, newest: true) { id } }`);
    expect((newest.data as { operations: Array<{ id: string }> }).operations.map((operation) => operation.id)).toEqual(ids.slice(-2));
    const oldest = await postGraphQL(url, viewerToken, `{ operations(endpoint: "${endpoint}", first: 2) { id } }`);
    expect((oldest.data as { operations: Array<{ id: string }> }).operations.map((operation) => operation.id)).toEqual(ids.slice(0, 2));
  });
});
