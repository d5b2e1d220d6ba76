/**
 * The first slice end to end: the real service (startService, as `lwm2m-hub serve` runs it) with a real
 * SQLite store in a temp dir, driven over HTTP and WebSocket on an ephemeral port.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Client } from 'graphql-ws';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';
import { closeCodeAfterInit, collect, postGraphQL, wsClient, wsQuery } from './GraphQLTestClient.ts';

const fixtures = new URL('../fixtures/', import.meta.url);
const nosecCsv = readFileSync(new URL('devices-nosec.csv', fixtures), 'utf8');
const pskCsv = readFileSync(new URL('devices-psk.csv', fixtures), 'utf8');
const badCsv = readFileSync(new URL('devices-bad.csv', fixtures), 'utf8');

const importMutation = `mutation Import($csv: String!, $mode: ImportMode) {
  importDeviceRegistrations(csv: $csv, options: { mode: $mode }) { imported updated unchanged errors { line column columnNumber message } }
}`;
const deviceFields = 'endpoint externalId name securityMode lwm2mPskId lwm2mPskKeySet bootstrapPskKeySet bindingMode registrationLifetime status createdAt updatedAt revision position';

let dir: string;
let service: RunningService;
let url: string;
let adminToken: string;
let operatorToken: string;
let operatorTokenId: string;
let viewerToken: string;
const logLines: string[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-e2e-'));
  const { config } = parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
    {},
  );
  const logSink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  service = await startService(config, {}, pino({ level: 'info' }, logSink));
  url = service.graphql.url;
  adminToken = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  const operator = await service.tokens.create({ role: 'operator', actor: 'system:test' });
  operatorToken = operator.token;
  operatorTokenId = operator.tokenId;
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

describe('first start', () => {
  it('writes an admin token to admin.token with mode 0600 and logs where, never the token', () => {
    expect(adminToken).toMatch(/^lwm2mhub_/);
    expect(statSync(join(dir, 'admin.token')).mode & 0o777).toBe(0o600);
    const logs = logLines.join('');
    expect(logs).toContain(join(dir, 'admin.token'));
    expect(logs).not.toContain(adminToken);
  });
});

describe('landing page', () => {
  it('serves its own page without any external URL', async () => {
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    // The GraphQL explorer, bundled with the console (test/console/Explorer.e2e.test.ts follows its files).
    expect(html).toContain('<title>lwm2m-hub GraphQL explorer</title>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/(src|href)=["']?\/\//);
  });
});

describe('authentication and roles', () => {
  const query = '{ devices(first: 1) { totalCount } }';

  it('answers 401 without a token or with a wrong one', async () => {
    for (const token of [undefined, 'lwm2mhub_wrong', 'garbage']) {
      const response = await postGraphQL(url, token, query);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect(response.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
  });

  it('lets every role query', async () => {
    for (const token of [viewerToken, operatorToken, adminToken]) {
      const response = await postGraphQL(url, token, query);
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
    }
  });

  it('forbids a viewer every mutation and an operator the rebuild', async () => {
    const viewerImport = await postGraphQL(url, viewerToken, importMutation, { csv: nosecCsv });
    expect(viewerImport.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const viewerDecommission = await postGraphQL(url, viewerToken, 'mutation { decommissionDevice(endpoint: "x") { endpoint } }');
    expect(viewerDecommission.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const operatorRebuild = await postGraphQL(url, operatorToken, 'mutation { rebuildReadModels { events } }');
    expect(operatorRebuild.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const overWs = await wsQuery(client(viewerToken), 'mutation { rebuildReadModels { events } }');
    expect(overWs.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('closes a WebSocket with 4401 without a token or with a wrong one', async () => {
    expect(await closeCodeAfterInit(url, undefined)).toBe(4401);
    expect(await closeCodeAfterInit(url, { authorization: 'Bearer lwm2mhub_wrong' })).toBe(4401);
    expect(await closeCodeAfterInit(url, { token: 'nonsense' })).toBe(4401);
  });

  it('accepts a token made while the service runs', async () => {
    const late = await service.tokens.create({ role: 'viewer', actor: 'system:test' });
    expect((await postGraphQL(url, late.token, query)).status).toBe(200);
  });
});

describe('importing the guide CSVs', () => {
  it('imports both files and shows the devices, secrets only as "is set"', async () => {
    const nosec = await postGraphQL(url, operatorToken, importMutation, { csv: nosecCsv });
    expect(nosec.errors).toBeUndefined();
    expect(nosec.data?.['importDeviceRegistrations']).toEqual({ imported: 3, updated: 0, unchanged: 0, errors: [] });
    const psk = await postGraphQL(url, operatorToken, importMutation, { csv: pskCsv });
    expect(psk.data?.['importDeviceRegistrations']).toEqual({ imported: 3, updated: 0, unchanged: 0, errors: [] });

    // Read-your-writes: the mutation answered after projection.
    const list = await postGraphQL(url, viewerToken, `{ devices(first: 50) { totalCount edges { cursor node { ${deviceFields} } } pageInfo { hasNextPage endCursor } } }`);
    const devices = list.data?.['devices'] as { totalCount: number; edges: Array<{ node: Record<string, unknown> }> };
    expect(devices.totalCount).toBe(6);
    const psk1 = devices.edges.find((edge) => edge.node['endpoint'] === 'lwm2m-psk-0001')?.node;
    expect(psk1).toMatchObject({ securityMode: 'PSK', lwm2mPskId: 'lwm2m-psk-0001', lwm2mPskKeySet: true, bootstrapPskKeySet: true, registrationLifetime: 300, status: 'ACTIVE' });
    const nosec1 = devices.edges.find((edge) => edge.node['endpoint'] === 'urn:imei:357518080211964')?.node;
    expect(nosec1).toMatchObject({ name: 'Water meter 3', securityMode: 'NO_SEC', lwm2mPskKeySet: false, bindingMode: 'UQ' });
    expect(list.raw.toLowerCase()).not.toContain('000102030405060708090a0b0c0d0e0f');
  });

  it('pages devices with cursors and filters them', async () => {
    const first = await postGraphQL(url, viewerToken, '{ devices(first: 4) { edges { node { endpoint } } pageInfo { hasNextPage endCursor } } }');
    const page1 = first.data?.['devices'] as { edges: Array<{ node: { endpoint: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    expect(page1.edges).toHaveLength(4);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await postGraphQL(url, viewerToken, 'query($after: String) { devices(first: 4, after: $after) { edges { node { endpoint } } pageInfo { hasNextPage } } }', {
      after: page1.pageInfo.endCursor,
    });
    const page2 = second.data?.['devices'] as { edges: Array<{ node: { endpoint: string } }>; pageInfo: { hasNextPage: boolean } };
    expect(page2.edges).toHaveLength(2);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const endpoints = [...page1.edges, ...page2.edges].map((edge) => edge.node.endpoint);
    expect(endpoints).toEqual([...endpoints].sort());
    expect(new Set(endpoints).size).toBe(6);

    const psk = await postGraphQL(url, viewerToken, '{ devices(filter: { securityMode: PSK }) { totalCount } }');
    expect(psk.data?.['devices']).toEqual({ totalCount: 3 });
    const search = await postGraphQL(url, viewerToken, '{ devices(filter: { search: "BOILER" }) { edges { node { endpoint } } } }');
    expect(search.data?.['devices']).toEqual({ edges: [{ node: { endpoint: 'lwm2m-psk-0002' } }] });
  });

  it('appends nothing when the same file is imported again', async () => {
    const head = await service.store.headPosition();
    const again = await postGraphQL(url, operatorToken, importMutation, { csv: pskCsv });
    expect(again.data?.['importDeviceRegistrations']).toEqual({ imported: 0, updated: 0, unchanged: 3, errors: [] });
    expect(await service.store.headPosition()).toBe(head);
  });

  it('rejects a bad CSV with every problem located by line and column, leaving the store untouched', async () => {
    const head = await service.store.headPosition();
    const response = await postGraphQL(url, operatorToken, importMutation, { csv: badCsv });
    expect(response.data).toBeNull();
    const error = response.errors?.[0];
    expect(error?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const rowErrors = error?.extensions?.['rowErrors'] as Array<{ line: number; column: string | null; message: string }>;
    expect(rowErrors.length).toBeGreaterThanOrEqual(8);
    expect(rowErrors.find((problem) => problem.line === 3)).toMatchObject({ column: 'securityMode' });
    expect(rowErrors.every((problem) => problem.line > 1 && typeof problem.message === 'string')).toBe(true);
    expect(await service.store.headPosition()).toBe(head);
    const good = await postGraphQL(url, viewerToken, '{ device(endpoint: "good-1") { endpoint } }');
    expect(good.data?.['device']).toBeNull();
  });

  it('refuses a request whose body is not UTF-8, instead of importing U+FFFD into an endpoint', async () => {
    const head = await service.store.headPosition();
    const json = Buffer.from(JSON.stringify({ query: importMutation, variables: { csv: 'endpoint id,securityMode\nmeter-#,NO_SEC\n' } }));
    const body = Buffer.concat([json.subarray(0, json.indexOf('#')), Buffer.from([0xff]), json.subarray(json.indexOf('#') + 1)]);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` }, body });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('the request body is not UTF-8\n');
    expect(await service.store.headPosition()).toBe(head);
  });

  it('imports the valid rows only when asked, and reports the others', async () => {
    const response = await postGraphQL(url, operatorToken, importMutation, { csv: badCsv, mode: 'VALID_ROWS_ONLY' });
    const result = response.data?.['importDeviceRegistrations'] as { imported: number; errors: unknown[] };
    expect(result.imported).toBe(2);
    expect(result.errors.length).toBeGreaterThanOrEqual(8);
    const good = await postGraphQL(url, viewerToken, '{ device(endpoint: "good-2") { endpoint lwm2mPskKeySet bindingMode } }');
    expect(good.data?.['device']).toEqual({ endpoint: 'good-2', lwm2mPskKeySet: true, bindingMode: 'U' });
  });
});

describe('live changes, history and as-of', () => {
  it('streams a device change and its stored event to subscribers within milliseconds', async () => {
    const ws = client(viewerToken);
    const changes = collect(ws, `subscription { deviceChanged(endpoint: "lwm2m-nosec-0002") { endpoint status revision } }`);
    const events = collect(ws, `subscription { deviceEvents(endpoint: "lwm2m-nosec-0002") { type actor correlationId data } }`);
    // A round trip on the same socket: both subscriptions are registered by the time it returns.
    await wsQuery(ws, '{ devices(first: 1) { totalCount } }');

    const started = Date.now();
    const decommission = await postGraphQL(url, operatorToken, 'mutation { decommissionDevice(endpoint: "lwm2m-nosec-0002", reason: "returned") { status } }');
    expect(decommission.data?.['decommissionDevice']).toEqual({ status: 'DECOMMISSIONED' });
    expect(await changes.next()).toEqual({ data: { deviceChanged: { endpoint: 'lwm2m-nosec-0002', status: 'DECOMMISSIONED', revision: 1 } } });
    const event = (await events.next()) as { data: { deviceEvents: { type: string; actor: string; correlationId: string; data: unknown } } };
    expect(Date.now() - started).toBeLessThan(1000);
    expect(event.data.deviceEvents).toMatchObject({ type: 'DeviceDecommissioned', actor: `user:${operatorTokenId}`, data: { endpoint: 'lwm2m-nosec-0002', reason: 'returned' } });
    expect(event.data.deviceEvents.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    changes.dispose();
    events.dispose();
  });

  it('tells a subscriber to one device of the import that makes it visible, at the import\'s commit', async () => {
    const ws = client(viewerToken);
    const changes = collect(ws, `subscription { deviceChanged(endpoint: "live-2") { endpoint status revision } }`);
    await wsQuery(ws, '{ devices(first: 1) { totalCount } }');
    const imported = await postGraphQL(url, operatorToken, importMutation, { csv: 'endpoint id,securityMode\nlive-1,NO_SEC\nlive-2,NO_SEC\n' });
    expect(imported.data?.['importDeviceRegistrations']).toMatchObject({ imported: 2 });
    expect(await changes.next()).toEqual({ data: { deviceChanged: { endpoint: 'live-2', status: 'ACTIVE', revision: 0 } } });
    changes.dispose();
  });

  it('answers NOT_FOUND and CONFLICT for impossible decommissions', async () => {
    const unknown = await postGraphQL(url, operatorToken, 'mutation { decommissionDevice(endpoint: "nobody") { status } }');
    expect(unknown.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    const twice = await postGraphQL(url, operatorToken, 'mutation { decommissionDevice(endpoint: "lwm2m-nosec-0002") { status } }');
    expect(twice.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
  });

  it('shows a device history with actor and correlation id, secrets redacted, in pages', async () => {
    const query = `query($after: String) { deviceHistory(endpoint: "lwm2m-psk-0001", first: 1, after: $after) {
      totalCount edges { cursor node { type stream category actor correlationId recordedAt position data } } pageInfo { hasNextPage endCursor } } }`;
    const response = await postGraphQL(url, viewerToken, query);
    const history = response.data?.['deviceHistory'] as { totalCount: number; edges: Array<{ node: Record<string, unknown> }>; pageInfo: { hasNextPage: boolean } };
    expect(history.totalCount).toBe(1);
    expect(history.pageInfo.hasNextPage).toBe(false);
    const entry = history.edges[0]?.node;
    expect(entry).toMatchObject({ type: 'DeviceRegistrationImported', stream: 'device-lwm2m-psk-0001', category: 'device', actor: `user:${operatorTokenId}` });
    expect(entry?.['data']).toMatchObject({ registration: { lwm2mPskKey: '[redacted]', bootstrapPskKey: '[redacted]', lwm2mPskId: 'lwm2m-psk-0001' } });
    expect(response.raw).not.toContain('sealed');
    expect(response.raw).not.toContain('fingerprint');

    const decommissioned = await postGraphQL(url, viewerToken, '{ deviceHistory(endpoint: "lwm2m-nosec-0002", first: 1) { edges { node { type } } pageInfo { hasNextPage endCursor } } }');
    const page1 = decommissioned.data?.['deviceHistory'] as { edges: Array<{ node: { type: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    expect(page1.edges.map((edge) => edge.node.type)).toEqual(['DeviceRegistrationImported']);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await postGraphQL(url, viewerToken, 'query($after: String) { deviceHistory(endpoint: "lwm2m-nosec-0002", first: 5, after: $after) { edges { node { type } } } }', {
      after: page1.pageInfo.endCursor,
    });
    expect(page2.data?.['deviceHistory']).toEqual({ edges: [{ node: { type: 'DeviceDecommissioned' } }] });
  });

  it('answers a device as of a past position or time by folding its events', async () => {
    const history = await postGraphQL(url, viewerToken, '{ deviceHistory(endpoint: "lwm2m-nosec-0002") { edges { node { position recordedAt } } } }');
    const [importedAt, decommissionedAt] = (history.data?.['deviceHistory'] as { edges: Array<{ node: { position: number; recordedAt: string } }> }).edges.map((edge) => edge.node);
    if (!importedAt || !decommissionedAt) throw new Error('expected two history entries');
    const asOf = 'query($asOf: AsOf) { device(endpoint: "lwm2m-nosec-0002", asOf: $asOf) { status revision position } }';
    expect((await postGraphQL(url, viewerToken, asOf, { asOf: { position: decommissionedAt.position - 1 } })).data?.['device']).toEqual({
      status: 'ACTIVE',
      revision: 0,
      position: importedAt.position,
    });
    expect((await postGraphQL(url, viewerToken, asOf, { asOf: { position: decommissionedAt.position } })).data?.['device']).toMatchObject({ status: 'DECOMMISSIONED' });
    // The imported event counts from its import's commit, which follows it: the device exists from then.
    const beforeDecommission = new Date(new Date(decommissionedAt.recordedAt).getTime() - 1).toISOString();
    expect((await postGraphQL(url, viewerToken, asOf, { asOf: { time: beforeDecommission } })).data?.['device']).toMatchObject({ status: 'ACTIVE' });
    const before = new Date(new Date(importedAt.recordedAt).getTime() - 1).toISOString();
    expect((await postGraphQL(url, viewerToken, asOf, { asOf: { time: before } })).data?.['device']).toBeNull();
    const both = await postGraphQL(url, viewerToken, asOf, { asOf: { time: before, position: 1 } });
    expect(both.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});

describe('replay', () => {
  it('rebuilds read models equal to the live ones (admin only)', async () => {
    const dump = async () => {
      const devices = await postGraphQL(url, viewerToken, `{ devices(first: 20) { edges { node { ${deviceFields} history(first: 10) { edges { node { position type data actor correlationId recordedAt } } } } } } }`);
      expect(devices.errors).toBeUndefined();
      return devices.raw;
    };
    const live = await dump();
    expect(live).toContain('"endpoint":"good-2"');
    expect(live).toContain('DeviceDecommissioned');
    const rebuild = await postGraphQL(url, adminToken, 'mutation { rebuildReadModels { events position durationMs } }');
    expect(rebuild.errors).toBeUndefined();
    const result = rebuild.data?.['rebuildReadModels'] as { events: number; position: number };
    expect(result.position).toBe(await service.store.headPosition());
    expect(result.events).toBeGreaterThan(0);
    expect(await dump()).toBe(live);

    const status = await postGraphQL(url, adminToken, '{ readModels { head rebuilding readModels { name checkpoint caughtUp failure } } }');
    const readModels = status.data?.['readModels'] as { head: number; rebuilding: boolean; readModels: Array<{ name: string; checkpoint: number; caughtUp: boolean; failure: string | null }> };
    expect(readModels.head).toBe(await service.store.headPosition());
    expect(readModels.rebuilding).toBe(false);
    expect(readModels.readModels.map((model) => model.name)).toEqual(expect.arrayContaining(['devices', 'device-history']));
    expect(readModels.readModels.every((model) => model.caughtUp && model.failure === null)).toBe(true);
    const viewer = await postGraphQL(url, viewerToken, '{ readModels { head } }');
    expect(viewer.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('operation limits', () => {
  const costly = '{ devices(first: 500) { edges { node { history(first: 500) { edges { node { type data } } } } } } }';

  it('refuses a too costly operation over HTTP', async () => {
    const response = await postGraphQL(url, viewerToken, costly);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' });
  });

  it('refuses a too costly operation over the WebSocket', async () => {
    const result = await wsQuery(client(viewerToken), costly);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' });
  });
});
