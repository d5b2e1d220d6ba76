/**
 * Firmware updates with several nodes on one event store: three real services (startService) sharing
 * one in-memory event store, one master key and one firmware directory (as shared storage would), and
 * a node-coap LwM2M client with object 5 as the device. The node holding the device's registration
 * drives its update, whichever node's API requested it, and no other node does, even one that starts
 * while the update is under way; a device that registers with another node in the middle of its update
 * is taken up there; the package is served by any node, since who may fetch it comes from the log.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as coapRequest } from 'coap';
import type { IncomingMessage } from 'coap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/adapters/eventstore/MemoryEventStore.ts';
import type { RecordedEvent } from '../../src/adapters/eventstore/EventStore.ts';
import type { RunningService } from '../../src/main.ts';
import type { FirmwareUpdateStep } from '../../src/domain/firmware/FirmwareUpdateEvents.ts';
import { firmwareUpdateStream } from '../../src/domain/firmware/FirmwareUpdateEvents.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { TestFirmwareObject } from '../support/TestFirmwareObject.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { eventually } from '../app/operations/DeviceManagementHarness.ts';
import { postGraphQL } from './GraphQLTestClient.ts';
import { startTestService } from './TestService.ts';

type NodeName = 'a' | 'b' | 'c';

const masterKey = '6b'.repeat(32);
const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</5/0>';
const store = new MemoryEventStore();
const dir = mkdtempSync(join(tmpdir(), 'hub-multi-node-fw-'));
const nodes = {} as Record<NodeName, RunningService>;
const clients: TestLwM2mClient[] = [];
let operatorToken: string;

function startNode(name: NodeName): Promise<RunningService> {
  return startTestService(join(dir, name), ['--node-id', `node-${name}`, '--public-host', '127.0.0.1'], { LWM2M_HUB_MASTER_KEY: masterKey }, { store });
}

beforeAll(async () => {
  // Firmware binaries are files, not events: the nodes share one firmware directory.
  mkdirSync(join(dir, 'firmware'));
  for (const name of ['a', 'b', 'c'] as const) {
    mkdirSync(join(dir, name));
    symlinkSync(join(dir, 'firmware'), join(dir, name, 'firmware'));
    nodes[name] = await startNode(name);
  }
  operatorToken = (await nodes.b.tokens.create({ role: 'operator', actor: 'system:test' })).token;
});

afterAll(async () => {
  for (const client of clients) await client.close();
  for (const node of Object.values(nodes)) await node.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A device with object 5, registered with `node`. */
async function device(endpoint: string, node: RunningService): Promise<{ client: TestLwM2mClient; firmware: TestFirmwareObject }> {
  await importTestDevice(store, endpoint);
  const firmware = new TestFirmwareObject(new TestDeviceObjects(), { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
  const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: node.coap.local.port, endpoint, lifetime: 600, objectLinks: links, device: firmware });
  clients.push(client);
  expect((await client.register()).code).toBe('2.01');
  const registrationId = client.location?.split('/')[1];
  for (const each of Object.values(nodes)) await eventually(() => (each.registrations.registration(endpoint)?.registrationId === registrationId ? true : undefined));
  return { client, firmware };
}

async function mutate(node: RunningService, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await postGraphQL(node.graphql.url, operatorToken, query, variables);
  expect(response.errors).toBeUndefined();
  return Object.values(response.data ?? {})[0] as Record<string, unknown>;
}

/** A firmware stored through `node`'s API; the device expects its SHA-256. */
async function storedFirmware(node: RunningService, firmware: TestFirmwareObject, name: string): Promise<{ id: string; binary: Buffer }> {
  const binary = randomBytes(2000);
  const added = await mutate(node, 'mutation Add($name: String!, $binary: String) { addFirmware(name: $name, version: "2.0", binaryBase64: $binary) { id sha256 } }', { name, binary: binary.toString('base64') });
  firmware.expectedSha256 = String(added['sha256']);
  firmware.newVersion = '2.0';
  return { id: String(added['id']), binary };
}

async function firmwareEvents(endpoint: string): Promise<readonly RecordedEvent[]> {
  const result = await store.readStream(firmwareUpdateStream(endpoint));
  return result.status === 'found' ? result.events : [];
}

async function stepReached(endpoint: string, step: FirmwareUpdateStep): Promise<void> {
  await eventually(async () => ((await firmwareEvents(endpoint)).some((event) => event.type === 'FirmwareUpdateProgressed' && (event.data as { step?: string }).step === step) ? true : undefined), 10_000);
}

async function ended(endpoint: string): Promise<string> {
  return eventually(async () => (await firmwareEvents(endpoint)).map((event) => event.type).find((type) => type === 'FirmwareUpdateSucceeded' || type === 'FirmwareUpdateFailed'), 10_000);
}

/** How many times the device served each of these requests, and from which nodes' ports. */
function served(client: TestLwM2mClient, request: string): { count: number; from: number[] } {
  const from = client.served.flatMap((line, index) => (line === request ? [client.servedFrom[index] ?? 0] : []));
  return { count: from.length, from: [...new Set(from)] };
}

/** The code a node answers a plain CoAP GET of the package with, from loopback (the devices' address here). */
function packageAnswer(node: RunningService, firmwareId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = coapRequest({ hostname: '127.0.0.1', port: node.coap.local.port, pathname: `/fw/${firmwareId}`, method: 'GET' });
    request.on('response', (response: IncomingMessage) => resolve(response.code));
    request.on('error', reject);
    request.end();
  });
}

describe('firmware updates with several nodes on one event store', () => {
  it('drives an update requested on node B of a device held by A from A alone, once, through a restart of B; the package is served by C, which does not drive it', async () => {
    const { client, firmware } = await device('mn-fw-once', nodes.a);
    const { id, binary } = await storedFirmware(nodes.b, firmware, 'mn-once-app');
    // The balancer sends the device's download to node C.
    firmware.pullPort = nodes.c.coap.local.port;
    firmware.afterUpdate = 'hang';
    const started = await mutate(nodes.b, 'mutation Start($id: ID!) { startFirmwareUpdate(endpoint: "mn-fw-once", firmwareId: $id) { status packageUri } }', { id });
    expect(started).toMatchObject({ status: 'RUNNING', packageUri: `coap://127.0.0.1:${nodes.b.coap.local.port}/fw/${id}` });
    await stepReached('mn-fw-once', 'update-executed');
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
    // A node that starts while the update is under way leaves it to the node holding the device.
    await nodes.b.close();
    nodes.b = await startNode('b');
    firmware.reportSuccess();
    expect(await ended('mn-fw-once')).toBe('FirmwareUpdateSucceeded');
    const a = nodes.a.coap.local.port;
    expect(served(client, 'PUT /5/0/1')).toEqual({ count: 1, from: [a] });
    expect(served(client, 'POST /5/0/2')).toEqual({ count: 1, from: [a] });
    expect(served(client, 'GET /5/0')).toEqual({ count: 1, from: [a] });
    expect(served(client, 'GET /3/0/3')).toEqual({ count: 1, from: [a] });
    // The update has ended: no node grants its package any more.
    for (const node of Object.values(nodes)) await eventually(async () => ((await packageAnswer(node, id)) === '4.03' ? true : undefined));
  });

  it('takes an update up on the node the device registers with in the middle of it, and the former holder stops driving it', async () => {
    const { client, firmware } = await device('mn-fw-move', nodes.a);
    const { id } = await storedFirmware(nodes.b, firmware, 'mn-move-app');
    // The device restarts into the new firmware, and the balancer now sends it to node C.
    firmware.afterUpdate = 'restart-then-report';
    firmware.onRestart = async () => {
      client.moveTo(nodes.c.coap.local.port);
      await client.register();
    };
    await mutate(nodes.b, 'mutation Start($id: ID!) { startFirmwareUpdate(endpoint: "mn-fw-move", firmwareId: $id) { status } }', { id });
    const c = nodes.c.coap.local.port;
    // Node C observes State and Update Result again for the new registration; then the device reports.
    await eventually(() => (served(client, 'GET /5/0/5').from.includes(c) ? true : undefined), 10_000);
    firmware.reportSuccess();
    expect(await ended('mn-fw-move')).toBe('FirmwareUpdateSucceeded');
    const a = nodes.a.coap.local.port;
    expect(served(client, 'PUT /5/0/1')).toEqual({ count: 1, from: [a] });
    expect(served(client, 'POST /5/0/2')).toEqual({ count: 1, from: [a] });
    expect(served(client, 'GET /3/0/3')).toEqual({ count: 1, from: [c] });
  });
});
