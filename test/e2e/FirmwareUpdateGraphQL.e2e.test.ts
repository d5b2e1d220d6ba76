/**
 * Firmware updates through the GraphQL API of the real service: an operator adds firmwares
 * (an uploaded binary, an external URL), starts updates of node-coap test devices that implement
 * object 5, and a viewer follows them over the WebSocket: by pull over CoAP (the package fetched from
 * the LwM2M server's own endpoint, block-wise), by pull over HTTP, by push, and a device that reports
 * an integrity-check failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { TestFirmwareObject } from '../support/TestFirmwareObject.ts';
import type { TestFirmwareObjectOptions } from '../support/TestFirmwareObject.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { collect, postGraphQL, wsClient } from './GraphQLTestClient.ts';

const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</5/0>';
const updateFields = 'id endpoint firmwareId firmware { id name version } name version method packageUri status step steps { step at } reason updateResult reportedVersion requestedBy endedAt';

let dir: string;
let service: RunningService;
let url: string;
let operatorToken: string;
let viewerToken: string;
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-fw-graphql-'));
  const { config } = parseCommandLine(
    ['--data-dir', dir, '--public-host', '127.0.0.1', '--http-host', '127.0.0.1', '--http-port', '0', '--coap-host', '127.0.0.1', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
    {},
  );
  service = await startService(config, {}, silentLogger());
  url = service.graphql.url;
  operatorToken = (await service.tokens.create({ role: 'operator', actor: 'system:test' })).token;
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function device(endpoint: string, options: TestFirmwareObjectOptions): Promise<{ client: TestLwM2mClient; firmware: TestFirmwareObject }> {
  await importTestDevice(service.store, endpoint);
  const objects = new TestDeviceObjects();
  const firmware = new TestFirmwareObject(objects, options);
  const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint, lifetime: 600, objectLinks: links, device: firmware });
  closers.push(() => client.close());
  firmware.onRestart = async () => {
    await client.register();
  };
  expect((await client.register()).code).toBe('2.01');
  return { client, firmware };
}

function viewerSocket(): Client {
  const client = wsClient(url, viewerToken);
  closers.push(() => client.dispose());
  return client;
}

async function mutate(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await postGraphQL(url, operatorToken, query, variables);
  expect(response.errors).toBeUndefined();
  return Object.values(response.data ?? {})[0] as Record<string, unknown>;
}

async function addBinary(name: string, version: string, binary: Buffer): Promise<Record<string, unknown>> {
  return mutate('mutation Add($name: String!, $version: String!, $binary: String) { addFirmware(name: $name, version: $version, binaryBase64: $binary) { id name version kind sha256 size url addedBy } }', {
    name,
    version,
    binary: binary.toString('base64'),
  });
}

/** Follows the device's updates over the WebSocket until one ends; returns every change seen. */
async function followToEnd(endpoint: string, start: () => Promise<Record<string, unknown>>): Promise<{ started: Record<string, unknown>; changes: Array<Record<string, unknown>> }> {
  const feed = collect(viewerSocket(), `subscription Follow($endpoint: String) { firmwareUpdateChanged(endpoint: $endpoint) { ${updateFields} } }`, { endpoint });
  // graphql-ws says nothing when a subscription starts: leave it time to, before the update begins
  // (the update's first change comes after a read and two observations of the device anyway).
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = await start();
  const changes: Array<Record<string, unknown>> = [];
  for (;;) {
    const item = (await feed.next(10_000)) as { data: { firmwareUpdateChanged: Record<string, unknown> } };
    changes.push(item.data.firmwareUpdateChanged);
    if (item.data.firmwareUpdateChanged['status'] !== 'RUNNING') break;
  }
  feed.dispose();
  return { started, changes };
}

function startUpdate(endpoint: string, firmwareId: unknown): Promise<Record<string, unknown>> {
  return mutate(`mutation Start($endpoint: String!, $firmwareId: ID!) { startFirmwareUpdate(endpoint: $endpoint, firmwareId: $firmwareId) { ${updateFields} } }`, { endpoint, firmwareId });
}

describe('firmware repository through GraphQL', () => {
  it('adds a binary with its SHA-256 and an external URL, lists and removes them; a viewer cannot add', async () => {
    const binary = randomBytes(700);
    const added = await addBinary('repo-app', '1.0', binary);
    expect(added).toMatchObject({ name: 'repo-app', version: '1.0', kind: 'STORED', sha256: createHash('sha256').update(binary).digest('hex'), size: 700, url: null, addedBy: expect.stringMatching(/^user:/) as unknown });
    const external = await mutate('mutation { addFirmware(name: "repo-app", version: "1.1", url: "https://fw.example.com/app-1.1.bin") { id kind url sha256 } }', {});
    expect(external).toMatchObject({ kind: 'EXTERNAL', url: 'https://fw.example.com/app-1.1.bin', sha256: null });
    const listed = await postGraphQL(url, viewerToken, '{ firmwares { id name version kind } }');
    expect((listed.data as { firmwares: Array<{ id: string }> }).firmwares.map((firmware) => firmware.id)).toEqual(expect.arrayContaining([added['id'], external['id']]));
    const both = await postGraphQL(url, operatorToken, 'mutation { addFirmware(name: "x", version: "1", url: "coap://h/x", binaryBase64: "AAAA") { id } }');
    expect(both.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const viewer = await postGraphQL(url, viewerToken, 'mutation { addFirmware(name: "x", version: "1", url: "coap://h/x") { id } }');
    expect(viewer.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(await mutate('mutation Remove($id: ID!) { removeFirmware(id: $id) }', { id: added['id'] })).toBe(true);
    const after = await postGraphQL(url, viewerToken, '{ firmwares { id } }');
    expect((after.data as { firmwares: Array<{ id: string }> }).firmwares.map((firmware) => firmware.id)).not.toContain(added['id']);
  });
});

describe('firmware updates through GraphQL and CoAP', () => {
  it('updates by pull over CoAP: the device fetches /fw/<id> from the LwM2M server block-wise', async () => {
    const { firmware } = await device('fw-e2e-pull', { deliveryMethod: 2, protocols: [0], currentVersion: '1.0' });
    const binary = randomBytes(4000);
    const added = await addBinary('pull-app', '2.0', binary);
    firmware.expectedSha256 = String(added['sha256']);
    // Devices often report a version string that is not the operator's label: shown, not a failure.
    firmware.newVersion = 'pull-app v2.0.0 (build 311)';
    const { started, changes } = await followToEnd('fw-e2e-pull', () => startUpdate('fw-e2e-pull', added['id']));
    expect(started).toMatchObject({ status: 'RUNNING', method: 'PULL', packageUri: `coap://127.0.0.1:${service.coap.local.port}/fw/${String(added['id'])}`, firmware: { name: 'pull-app', version: '2.0' } });
    const last = changes.at(-1);
    expect(last).toMatchObject({ id: started['id'], status: 'SUCCEEDED', reason: null, version: '2.0', reportedVersion: 'pull-app v2.0.0 (build 311)' });
    expect((last?.['steps'] as Array<{ step: string }>).map((each) => each.step)).toEqual(['observing', 'delivering-package', 'package-delivered', 'downloaded', 'update-executed', 'update-reported-success']);
    expect(changes.map((change) => change['step'])).toContain('downloaded');
    expect(firmware.received).toMatchObject({ via: 'pull', blockwise: true });
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
    const listed = await postGraphQL(url, viewerToken, `{ firmwareUpdates(endpoint: "fw-e2e-pull") { ${updateFields} } }`);
    expect((listed.data as { firmwareUpdates: unknown[] }).firmwareUpdates).toEqual([last]);
  });

  it('updates by pull over HTTP when the device pulls with HTTP only', async () => {
    const { firmware } = await device('fw-e2e-http', { deliveryMethod: 0, protocols: [2], currentVersion: '1.0' });
    const binary = randomBytes(3000);
    const added = await addBinary('http-app', '2.0', binary);
    firmware.expectedSha256 = String(added['sha256']);
    firmware.newVersion = '2.0';
    const { started, changes } = await followToEnd('fw-e2e-http', () => startUpdate('fw-e2e-http', added['id']));
    expect(started).toMatchObject({ method: 'PULL', packageUri: `http://127.0.0.1:${service.graphql.port}/fw/${String(added['id'])}` });
    expect(changes.at(-1)).toMatchObject({ status: 'SUCCEEDED' });
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
    // Whoever lists the repository knows the id; without the update's token (never shown) it gets nothing.
    expect((await fetch(String(started['packageUri']))).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${service.graphql.port}/fw/%`)).status).toBe(400);
  });

  it('updates by push when the device only takes pushes: /5/0/0 written block-wise', async () => {
    const { firmware } = await device('fw-e2e-push', { deliveryMethod: 1, protocols: [0], currentVersion: '1.0' });
    const binary = randomBytes(2500);
    const added = await addBinary('push-app', '3.0', binary);
    firmware.expectedSha256 = String(added['sha256']);
    firmware.newVersion = '3.0';
    const { started, changes } = await followToEnd('fw-e2e-push', () => startUpdate('fw-e2e-push', added['id']));
    expect(started).toMatchObject({ method: 'PUSH', packageUri: null });
    expect(changes.at(-1)).toMatchObject({ status: 'SUCCEEDED' });
    expect(firmware.received).toMatchObject({ via: 'push', blockwise: true });
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
  });

  it('fails cleanly with "integrity check failure" when the device reports Update Result 5', async () => {
    const { client, firmware } = await device('fw-e2e-bad', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const added = await addBinary('bad-app', '2.0', randomBytes(1200));
    firmware.expectedSha256 = String(added['sha256']);
    firmware.corruptDownload = true;
    const { changes } = await followToEnd('fw-e2e-bad', () => startUpdate('fw-e2e-bad', added['id']));
    expect(changes.at(-1)).toMatchObject({ status: 'FAILED', reason: 'integrity check failure for new downloaded package', updateResult: 5 });
    expect(client.served.filter((line) => line.startsWith('POST /5/0/2'))).toEqual([]);
    // The device is free for the next update.
    firmware.corruptDownload = false;
    firmware.newVersion = '2.0';
    const { changes: retry } = await followToEnd('fw-e2e-bad', () => startUpdate('fw-e2e-bad', added['id']));
    expect(retry.at(-1)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('refuses an update of a device without object 5, and an unknown firmware', async () => {
    await importTestDevice(service.store, 'fw-e2e-none');
    const plain = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint: 'fw-e2e-none', lifetime: 600, objectLinks: links, device: new TestDeviceObjects() });
    closers.push(() => plain.close());
    expect((await plain.register()).code).toBe('2.01');
    const added = await addBinary('none-app', '2.0', randomBytes(10));
    const refused = await postGraphQL(url, operatorToken, 'mutation Start($id: ID!) { startFirmwareUpdate(endpoint: "fw-e2e-none", firmwareId: $id) { id } }', { id: added['id'] });
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('/5/0') as unknown, extensions: { code: 'BAD_USER_INPUT' } });
    const unknown = await postGraphQL(url, operatorToken, 'mutation { startFirmwareUpdate(endpoint: "fw-e2e-none", firmwareId: "nope") { id } }');
    expect(unknown.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
  });
});
