/**
 * Device protocols, telemetry and validation rules through the GraphQL API of the real service
 * (startService with a SQLite store in a temp dir), over HTTP and WebSocket on ephemeral ports: the
 * DDF of object 3303 uploaded, functionalities set on 5700, values fed through the service's telemetry
 * service, and what comes out in queries and subscriptions.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { parsePath } from '../../src/domain/lwm2m/LwM2mPath.ts';
import type { LwM2mValue } from '../../src/domain/lwm2m/LwM2mValue.ts';
import { floatValue, stringValue } from '../../src/domain/lwm2m/LwM2mValue.ts';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';
import { collect, postGraphQL, wsClient, wsQuery } from './GraphQLTestClient.ts';

const temperatureDdf = readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url), 'utf8');
const nosecCsv = readFileSync(new URL('../fixtures/devices-nosec.csv', import.meta.url), 'utf8');
const endpoint = 'lwm2m-nosec-0001';

const upload = 'mutation Upload($xml: String!) { uploadDeviceProtocol(xml: $xml) { protocols { objectId version name created } } }';
const setFunctionality = `mutation Set($resourceId: Int!, $functionality: FunctionalityInput!) {
  setResourceFunctionality(objectId: 3303, resourceId: $resourceId, functionality: $functionality) {
    version
    resources { id functionalities { sendMeasurement { type series unit } createAlarm { severity type status text } sendEvent { type text } autoObserve } }
  }
}`;
const alarmFields = 'id endpoint type severity status text count firstTime lastTime source { path protocolVersion rule }';

let dir: string;
let service: RunningService;
let url: string;
let operatorToken: string;
let viewerToken: string;
const clients: Client[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-protocols-e2e-'));
  const { config } = parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
    {},
  );
  service = await startService(config, {}, silentLogger());
  url = service.graphql.url;
  operatorToken = (await service.tokens.create({ role: 'operator', actor: 'system:test' })).token;
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(token: string): Client {
  const created = wsClient(url, token);
  clients.push(created);
  return created;
}

async function operator(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await postGraphQL(url, operatorToken, query, variables);
  expect(response.errors).toBeUndefined();
  return response.data ?? {};
}

async function errorCode(token: string, query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const response = await postGraphQL(url, token, query, variables);
  return response.errors?.[0]?.extensions?.['code'];
}

/** Feeds values as the LwM2M server does when a device reports them. */
async function report(path: string, value: LwM2mValue): Promise<void> {
  await service.telemetry.recordValues({ endpoint, values: [{ path: parsePath(path), value }], objectVersions: new Map([[3303, '1.1']]) });
}

describe('uploading a device protocol', () => {
  it('refuses a malformed DDF with what and where, and stores nothing', async () => {
    const malformed = temperatureDdf.replace('<Type>Float</Type>', '<Type>Decimal</Type>');
    const response = await postGraphQL(url, operatorToken, upload, { xml: malformed });
    const error = response.errors?.[0];
    expect(error?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const ddfErrors = error?.extensions?.['ddfErrors'] as Array<Record<string, unknown>>;
    // The parser places the error at the start tag of the resource's Item.
    const expectedLine = malformed.split('\n').findIndex((line) => line.includes('<Item ID="5700">')) + 1;
    expect(ddfErrors[0]).toMatchObject({ code: 'unknown-type', line: expectedLine, resourceId: 5700, objectId: 3303, objectIndex: 1 });
    expect(String(ddfErrors[0]?.['element'])).toContain('Item[ID=5700]');
    expect(typeof ddfErrors[0]?.['column']).toBe('number');
    expect(String(ddfErrors[0]?.['message'])).toContain('Decimal');

    const notXml = await postGraphQL(url, operatorToken, upload, { xml: '<LWM2M><Object>' });
    expect(notXml.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect((notXml.errors?.[0]?.extensions?.['ddfErrors'] as Array<Record<string, unknown>>)[0]).toMatchObject({ code: 'not-xml' });

    const listed = await postGraphQL(url, viewerToken, '{ deviceProtocols { objectId } }');
    expect(listed.data).toEqual({ deviceProtocols: [] });
  });

  it('lets an operator upload, not a viewer; an identical re-upload changes nothing', async () => {
    expect(await errorCode(viewerToken, upload, { xml: temperatureDdf })).toBe('FORBIDDEN');
    expect(await operator(upload, { xml: temperatureDdf })).toEqual({
      uploadDeviceProtocol: { protocols: [{ objectId: 3303, version: '1.1', name: 'Temperature', created: true }] },
    });
    expect(await operator(upload, { xml: temperatureDdf })).toEqual({
      uploadDeviceProtocol: { protocols: [{ objectId: 3303, version: '1.1', name: 'Temperature', created: false }] },
    });
  });

  it('shows the protocol, its resources and their types to a viewer', async () => {
    const response = await postGraphQL(
      url,
      viewerToken,
      `{ deviceProtocols { objectId name latestVersion versions createdAt updatedAt }
         deviceProtocol(objectId: 3303) { objectId version name description multipleInstances createdAt updatedAt
           resources { id name operations type units functionalities { autoObserve } } } }`,
    );
    expect(response.errors).toBeUndefined();
    const data = response.data as {
      deviceProtocols: Array<Record<string, unknown>>;
      deviceProtocol: { description: string; resources: Array<Record<string, unknown>> } & Record<string, unknown>;
    };
    expect(data.deviceProtocols).toEqual([expect.objectContaining({ objectId: 3303, name: 'Temperature', latestVersion: '1.1', versions: ['1.1'] })]);
    expect(data.deviceProtocol).toMatchObject({ objectId: 3303, version: '1.1', name: 'Temperature', multipleInstances: true });
    expect(data.deviceProtocol.description.length).toBeGreaterThan(0);
    expect(data.deviceProtocol.resources.find((r) => r['id'] === 5700)).toEqual({
      id: 5700,
      name: 'Sensor Value',
      operations: 'R',
      type: 'FLOAT',
      units: '',
      functionalities: { autoObserve: false },
    });
    expect(data.deviceProtocol.resources.find((r) => r['id'] === 5605)).toMatchObject({ operations: 'E', type: 'NONE' });
    const missing = await postGraphQL(url, viewerToken, '{ deviceProtocol(objectId: 3303, version: "9.9") { version } }');
    expect(missing.data).toEqual({ deviceProtocol: null });
  });
});

describe('functionalities', () => {
  it('refuses Auto-observe alone, two functionalities at once, and a viewer', async () => {
    const alone = await postGraphQL(url, operatorToken, setFunctionality, { resourceId: 5700, functionality: { autoObserve: true } });
    expect(alone.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(alone.errors?.[0]?.message).toContain('Auto-observe');
    const two = await postGraphQL(url, operatorToken, setFunctionality, {
      resourceId: 5700,
      functionality: { autoObserve: true, sendEvent: { type: 'e', text: 't' } },
    });
    expect(two.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await errorCode(viewerToken, setFunctionality, { resourceId: 5700, functionality: { sendEvent: { type: 'e', text: 't' } } })).toBe('FORBIDDEN');
  });

  it('sets Send measurement, Create alarm and Auto-observe on 5700', async () => {
    await operator(setFunctionality, { resourceId: 5700, functionality: { sendMeasurement: { type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' } } });
    await operator(setFunctionality, {
      resourceId: 5700,
      functionality: { createAlarm: { severity: 'MAJOR', type: 'c8y_TemperatureAlarm', status: 'ACTIVE', text: 'temperature {value}' } },
    });
    const data = (await operator(setFunctionality, { resourceId: 5700, functionality: { autoObserve: true } })) as {
      setResourceFunctionality: { version: string; resources: Array<{ id: number; functionalities: unknown }> };
    };
    expect(data.setResourceFunctionality.version).toBe('1.1');
    expect(data.setResourceFunctionality.resources.find((r) => r.id === 5700)?.functionalities).toEqual({
      sendMeasurement: { type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' },
      createAlarm: { severity: 'MAJOR', type: 'c8y_TemperatureAlarm', status: 'ACTIVE', text: 'temperature {value}' },
      sendEvent: null,
      autoObserve: true,
    });
    expect(await service.protocols.autoObservedResources(3303, '1.1')).toEqual([5700]);
  });

  it('sets Send event on 5701 and removes it again', async () => {
    await operator(setFunctionality, { resourceId: 5701, functionality: { sendEvent: { type: 'c8y_UnitsChanged', text: 'units now {value}' } } });
    const removed = (await operator(
      'mutation { removeResourceFunctionality(objectId: 3303, resourceId: 5701, kind: SEND_EVENT) { resources { id functionalities { sendEvent { type } } } } }',
    )) as { removeResourceFunctionality: { resources: Array<{ id: number; functionalities: { sendEvent: unknown } }> } };
    expect(removed.removeResourceFunctionality.resources.find((r) => r.id === 5701)?.functionalities.sendEvent).toBeNull();
  });
});

describe('measurements and alarms from reported values', () => {
  it('turns 5700 values into measurements (query and subscription) and one counted alarm', async () => {
    await operator('mutation Import($csv: String!) { importDeviceRegistrations(csv: $csv) { imported } }', { csv: nosecCsv });
    const viewer = client(viewerToken);
    const measurementFeed = collect(viewer, `subscription { measurementCreated(endpoint: "${endpoint}") { id endpoint type series value unit time source { path protocolVersion rule } } }`);
    const alarmFeed = collect(viewer, `subscription { alarmChanged(endpoint: "${endpoint}") { id status count } }`);
    const otherDevice = collect(viewer, 'subscription { measurementCreated(endpoint: "someone-else") { id } }');
    // Subscriptions are set up when the server has acknowledged them: a query on the same socket after them is answered after.
    await wsQuery(viewer, '{ deviceProtocols { objectId } }');

    for (const value of [21.5, 22, 22.5]) await report('/3303/0/5700', floatValue(value));

    const streamed = [await measurementFeed.next(), await measurementFeed.next(), await measurementFeed.next()] as Array<{
      data: { measurementCreated: Record<string, unknown> };
    }>;
    expect(streamed.map((item) => item.data.measurementCreated['value'])).toEqual([21.5, 22, 22.5]);
    expect(streamed[0]?.data.measurementCreated).toMatchObject({
      endpoint,
      type: 'c8y_TemperatureMeasurement',
      series: 'T',
      unit: 'Cel',
      source: { path: '/3303/0/5700', protocolVersion: '1.1', rule: 'sendMeasurement' },
    });
    expect(((await alarmFeed.next()) as { data: unknown }).data).toEqual({ alarmChanged: { id: `1@${endpoint}`, status: 'ACTIVE', count: 1 } });
    expect(((await alarmFeed.next()) as { data: unknown }).data).toEqual({ alarmChanged: { id: `1@${endpoint}`, status: 'ACTIVE', count: 2 } });
    expect(((await alarmFeed.next()) as { data: unknown }).data).toEqual({ alarmChanged: { id: `1@${endpoint}`, status: 'ACTIVE', count: 3 } });
    await expect(otherDevice.next(200)).rejects.toThrow(/no subscription result/);

    const page = `query Page($after: String) { measurements(endpoint: "${endpoint}", type: "c8y_TemperatureMeasurement", series: "T", first: 2, after: $after) {
      edges { cursor node { value } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`;
    const first = (await postGraphQL(url, viewerToken, page)).data as {
      measurements: { edges: Array<{ node: { value: number } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    };
    expect(first.measurements.edges.map((edge) => edge.node.value)).toEqual([21.5, 22]);
    expect(first.measurements.pageInfo.hasNextPage).toBe(true);
    const second = (await postGraphQL(url, viewerToken, page, { after: first.measurements.pageInfo.endCursor })).data as {
      measurements: { edges: Array<{ node: { value: number } }>; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean } };
    };
    expect(second.measurements.edges.map((edge) => edge.node.value)).toEqual([22.5]);
    expect(second.measurements.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const future = await postGraphQL(url, viewerToken, `{ measurements(endpoint: "${endpoint}", from: "2999-01-01T00:00:00Z") { edges { cursor } } }`);
    expect(future.data).toEqual({ measurements: { edges: [] } });
    const foreignCursor = await postGraphQL(url, viewerToken, `{ measurements(after: "${Buffer.from('alarm:1').toString('base64url')}") { edges { cursor } } }`);
    expect(foreignCursor.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');

    const alarms = await postGraphQL(url, viewerToken, `{ alarms(endpoint: "${endpoint}", status: [ACTIVE]) { totalCount edges { node { ${alarmFields} } } } }`);
    expect(alarms.data).toMatchObject({
      alarms: {
        totalCount: 1,
        edges: [
          {
            node: {
              id: `1@${endpoint}`,
              type: 'c8y_TemperatureAlarm',
              severity: 'MAJOR',
              status: 'ACTIVE',
              text: 'temperature 22.5',
              count: 3,
              source: { path: '/3303/0/5700', protocolVersion: '1.1', rule: 'createAlarm' },
            },
          },
        ],
      },
    });
  });

  it('lets an operator acknowledge and clear the alarm, not a viewer', async () => {
    const acknowledge = `mutation { acknowledgeAlarm(id: "1@${endpoint}") { id status count } }`;
    const clear = `mutation { clearAlarm(id: "1@${endpoint}") { id status } }`;
    expect(await errorCode(viewerToken, acknowledge)).toBe('FORBIDDEN');
    expect(await errorCode(viewerToken, clear)).toBe('FORBIDDEN');
    expect(await operator(acknowledge)).toEqual({ acknowledgeAlarm: { id: `1@${endpoint}`, status: 'ACKNOWLEDGED', count: 3 } });
    expect(await operator(clear)).toEqual({ clearAlarm: { id: `1@${endpoint}`, status: 'CLEARED' } });
    expect(await errorCode(operatorToken, acknowledge)).toBe('CONFLICT');
    expect(await errorCode(operatorToken, `mutation { clearAlarm(id: "7@${endpoint}") { id } }`)).toBe('NOT_FOUND');
    expect(await errorCode(operatorToken, 'mutation { clearAlarm(id: "not-an-alarm") { id } }')).toBe('NOT_FOUND');

    const open = await postGraphQL(url, viewerToken, `{ alarms(endpoint: "${endpoint}", status: [ACTIVE, ACKNOWLEDGED]) { totalCount } }`);
    expect(open.data).toEqual({ alarms: { totalCount: 0 } });
    // A new value after the clear raises a new alarm: the newest comes first.
    await report('/3303/0/5700', floatValue(30));
    const all = await postGraphQL(url, viewerToken, `{ alarms(endpoint: "${endpoint}", severity: [MAJOR], first: 1) { totalCount edges { node { id status } } pageInfo { hasNextPage endCursor } } }`);
    const data = all.data as { alarms: { totalCount: number; edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    expect(data.alarms).toMatchObject({ totalCount: 2, edges: [{ node: { id: `2@${endpoint}`, status: 'ACTIVE' } }], pageInfo: { hasNextPage: true } });
    const next = await postGraphQL(url, viewerToken, `{ alarms(endpoint: "${endpoint}", first: 1, after: "${data.alarms.pageInfo.endCursor}") { edges { node { id } } } }`);
    expect(next.data).toEqual({ alarms: { edges: [{ node: { id: `1@${endpoint}` } }] } });
  });

  it('turns a value with Send event into a device event (query and subscription), and object 3 into device properties', async () => {
    await operator(setFunctionality, { resourceId: 5701, functionality: { sendEvent: { type: 'c8y_UnitsChanged', text: 'units now {value}' } } });
    const viewer = client(viewerToken);
    const feed = collect(viewer, `subscription { eventCreated(endpoint: "${endpoint}", type: "c8y_UnitsChanged") { endpoint type text source { rule } } }`);
    await wsQuery(viewer, '{ deviceProtocols { objectId } }');
    await report('/3303/0/5701', stringValue('Cel'));
    expect(((await feed.next()) as { data: unknown }).data).toEqual({
      eventCreated: { endpoint, type: 'c8y_UnitsChanged', text: 'units now Cel', source: { rule: 'sendEvent' } },
    });
    const events = await postGraphQL(url, viewerToken, `{ events(endpoint: "${endpoint}", type: "c8y_UnitsChanged") { edges { node { id text time } } pageInfo { hasNextPage } } }`);
    expect(events.data).toMatchObject({ events: { edges: [{ node: { text: 'units now Cel' } }], pageInfo: { hasNextPage: false } } });

    await service.telemetry.recordValues({ endpoint, values: [{ path: parsePath('/3/0/0'), value: stringValue('ACME') }] });
    await service.projector.waitFor(await service.store.headPosition());
    const device = await postGraphQL(url, viewerToken, `{ device(endpoint: "${endpoint}") { properties { name value } location { latitude } } }`);
    expect(device.data).toEqual({ device: { properties: [{ name: 'manufacturer', value: 'ACME' }], location: null } });
  });
});

describe('validation rules', () => {
  const add = `mutation Add($resourceId: Int!, $groupId: String!, $rules: [ValidationRuleInput!]!) {
    addValidationRuleGroup(objectId: 3303, resourceId: $resourceId, groupId: $groupId, rules: $rules) { groupId rules { type operator value resourcePath description } }
  }`;

  it('adds, lists and removes rule groups of a writable resource; an operator only', async () => {
    const rules = [
      { type: 'STRING', operator: 'EQUALS_NOT', value: 'test' },
      { type: 'STRING', operator: 'EQUALS_NOT', resourcePath: '/3/0/15' },
    ];
    expect(await errorCode(viewerToken, add, { resourceId: 5750, groupId: 'g1', rules })).toBe('FORBIDDEN');
    expect(await operator(add, { resourceId: 5750, groupId: 'g1', rules })).toEqual({
      addValidationRuleGroup: [
        {
          groupId: 'g1',
          rules: [
            { type: 'STRING', operator: 'EQUALS_NOT', value: 'test', resourcePath: null, description: 'String equals not "test"' },
            { type: 'STRING', operator: 'EQUALS_NOT', value: null, resourcePath: '/3/0/15', description: 'String equals not the current value of /3/0/15' },
          ],
        },
      ],
    });
    expect(await errorCode(operatorToken, add, { resourceId: 5750, groupId: 'g1', rules })).toBe('CONFLICT');
    const readOnly = await postGraphQL(url, operatorToken, add, { resourceId: 5700, groupId: 'g1', rules: [{ type: 'NUMBER', operator: 'LOWER_THAN', value: '100' }] });
    expect(readOnly.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [expect.stringContaining('writable')] });
    expect(await errorCode(operatorToken, add, { resourceId: 5750, groupId: 'g2', rules: [{ type: 'STRING', operator: 'EQUALS', value: 'a', resourcePath: '/3/0/15' }] })).toBe(
      'BAD_USER_INPUT',
    );
    expect(await errorCode(operatorToken, add, { resourceId: 9999, groupId: 'g2', rules })).toBe('NOT_FOUND');

    const listed = await postGraphQL(
      url,
      viewerToken,
      '{ validationRuleGroups(objectId: 3303, resourceId: 5750) { groupId } deviceProtocol(objectId: 3303) { resources { id validationRuleGroups { groupId rules { description } } } } }',
    );
    const data = listed.data as { validationRuleGroups: unknown; deviceProtocol: { resources: Array<{ id: number; validationRuleGroups: unknown[] }> } };
    expect(data.validationRuleGroups).toEqual([{ groupId: 'g1' }]);
    expect(data.deviceProtocol.resources.find((r) => r.id === 5750)?.validationRuleGroups).toHaveLength(1);
    expect(data.deviceProtocol.resources.find((r) => r.id === 5700)?.validationRuleGroups).toEqual([]);

    const remove = 'mutation { removeValidationRuleGroup(objectId: 3303, resourceId: 5750, groupId: "g1") { groupId } }';
    expect(await errorCode(viewerToken, remove)).toBe('FORBIDDEN');
    expect(await operator(remove)).toEqual({ removeValidationRuleGroup: [] });
    expect(await errorCode(operatorToken, remove)).toBe('NOT_FOUND');
    // The protocol's own events on the same stream are untouched by the rules.
    expect(await service.protocols.autoObservedResources(3303, '1.1')).toEqual([5700]);
  });
});
