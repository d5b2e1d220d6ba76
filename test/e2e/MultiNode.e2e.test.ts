/**
 * Several nodes of the service on one event store: three real services (startService), each with its
 * own CoAP ports, projector and read-model database, sharing one in-memory event store and one master
 * key, and node-coap LwM2M clients on loopback as the devices. A device's registration is held by the
 * node it registered with; operations requested on any node are sent by that node alone; a Register on
 * another node takes the device over; an Update reaching a node that does not hold the registration
 * gets 4.04; a dead node's registration expires once, and its unanswered attempt is taken over.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/adapters/eventstore/MemoryEventStore.ts';
import type { NewEvent, RecordedEvent } from '../../src/adapters/eventstore/EventStore.ts';
import type { JsonValue } from '../../src/domain/Json.ts';
import type { RunningService } from '../../src/main.ts';
import type { OperationSent, OperationSpec } from '../../src/domain/operations/OperationEvents.ts';
import { operationStream } from '../../src/domain/operations/OperationEvents.ts';
import type { DeviceRegistered } from '../../src/domain/registration/RegistrationEvents.ts';
import { registrationStream } from '../../src/domain/registration/RegistrationEvents.ts';
import { observationStream } from '../../src/domain/observations/ObservationEvents.ts';
import type { IncomingMessage, OutgoingMessage } from 'coap';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import type { RawCoapPeer } from '../support/RawCoapPeer.ts';
import { registerRawDevice } from '../support/RawCoapPeer.ts';
import type { CoapMessage } from '../../src/adapters/coap/CoapMessage.ts';
import { OptionNumber, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import type { ResourceValuesReported } from '../../src/domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../../src/domain/observations/ResourceValueEvents.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { testRegistration } from '../support/TestRegistrations.ts';
import { eventually } from '../app/operations/DeviceManagementHarness.ts';
import { startTestService } from './TestService.ts';

const masterKey = '5a'.repeat(32);
const store = new MemoryEventStore();
const dir = mkdtempSync(join(tmpdir(), 'hub-multi-node-'));
const nodes: Record<'a' | 'b' | 'c', RunningService> = {} as Record<'a' | 'b' | 'c', RunningService>;
const clients: TestLwM2mClient[] = [];
const rawPeers: RawCoapPeer[] = [];
const read: OperationSpec = { kind: 'read', paths: ['/3/0/2'], content: null };

beforeAll(async () => {
  for (const name of ['a', 'b', 'c'] as const) {
    nodes[name] = await startTestService(join(dir, name), ['--node-id', `node-${name}`], { LWM2M_HUB_MASTER_KEY: masterKey }, { store });
  }
});

afterAll(async () => {
  for (const client of clients) await client.close();
  for (const raw of rawPeers) await raw.close();
  for (const node of Object.values(nodes)) await node.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function device(endpoint: string, node: RunningService, serve?: (request: IncomingMessage, response: OutgoingMessage) => boolean): Promise<TestLwM2mClient> {
  const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: node.coap.local.port, endpoint, ...(serve ? { device: { serve } } : {}) });
  clients.push(client);
  return client;
}

async function events(stream: string): Promise<readonly RecordedEvent[]> {
  const result = await store.readStream(stream);
  return result.status === 'found' ? result.events : [];
}

async function sendingNodes(endpoint: string): Promise<Array<string | undefined>> {
  return (await events(operationStream(endpoint))).filter((event) => event.type === 'OperationSent').map((event) => (event.data as unknown as OperationSent).nodeId);
}

/** Resolves once every node's registration view has the device's registration `registrationId`. */
async function seenEverywhere(endpoint: string, registrationId: string): Promise<void> {
  for (const node of Object.values(nodes)) await eventually(() => (node.registrations.registration(endpoint)?.registrationId === registrationId ? true : undefined));
}

async function outcome(node: RunningService, operationId: string): Promise<string> {
  return eventually(() => {
    const status = node.deviceManagement.operation(operationId)?.status;
    return status === 'succeeded' || status === 'failed' || status === 'cancelled' ? status : undefined;
  }, 10_000);
}

describe('several nodes on one event store', () => {
  it('records the node a device registered with; an Update reaching another node gets 4.04, and the device registers with that node', async () => {
    await importTestDevice(store, 'mn-owner');
    const client = await device('mn-owner', nodes.a);
    expect((await client.register()).code).toBe('2.01');
    const [registered] = await events(registrationStream('mn-owner'));
    const first = (registered?.data as unknown as DeviceRegistered).registration;
    expect(first.nodeId).toBe('node-a');
    await seenEverywhere('mn-owner', first.registrationId);
    expect(nodes.a.registrations.heldRegistration('mn-owner')?.registrationId).toBe(first.registrationId);
    expect(nodes.b.registrations.heldRegistration('mn-owner')).toBeUndefined();

    // The balancer now sends the device's datagrams to node B, which does not hold the registration.
    client.moveTo(nodes.b.coap.local.port);
    expect((await client.update()).code).toBe('4.04');
    expect((await client.register()).code).toBe('2.01');
    const second = nodes.b.registrations.registration('mn-owner');
    expect(second?.nodeId).toBe('node-b');
    await seenEverywhere('mn-owner', second?.registrationId ?? '');
    expect(nodes.a.registrations.heldRegistration('mn-owner')).toBeUndefined();
    expect((await client.update()).code).toBe('2.04');
    expect((await events(registrationStream('mn-owner'))).map((event) => event.type)).toEqual(['DeviceRegistered', 'DeviceRegistered', 'RegistrationUpdated']);
  });

  it('sends an operation requested on another node from the node holding the device, once, and every node sees its outcome', async () => {
    await importTestDevice(store, 'mn-deliver');
    const client = await device('mn-deliver', nodes.a);
    expect((await client.register()).code).toBe('2.01');
    await seenEverywhere('mn-deliver', client.location?.split('/')[1] ?? '');
    const { operationId } = await nodes.b.deviceManagement.requestOperation('mn-deliver', read, 'user:test', 'mn-deliver-read');
    for (const node of Object.values(nodes)) expect(await outcome(node, operationId)).toBe('succeeded');
    expect(client.served).toEqual(['GET /3/0/2']);
    expect(client.servedFrom).toEqual([nodes.a.coap.local.port]);
    expect(await sendingNodes('mn-deliver')).toEqual(['node-a']);
  });

  it('stops sending to a device that registered with another node: the attempt in flight goes back to the queue and the new holder sends it', async () => {
    await importTestDevice(store, 'mn-moved');
    // The device as node A knows it never answers: the request stays in flight until A abandons it.
    const before = await device('mn-moved', nodes.a, () => true);
    expect((await before.register()).code).toBe('2.01');
    const { operationId } = await nodes.c.deviceManagement.requestOperation('mn-moved', read, 'user:test', 'mn-moved-read');
    await eventually(async () => ((await sendingNodes('mn-moved')).length === 1 ? true : undefined));
    await eventually(() => (before.served.length === 1 ? true : undefined));

    // The device restarts behind the balancer, which now sends it to node B: a new socket, a new Register.
    const after = await device('mn-moved', nodes.b);
    expect((await after.register()).code).toBe('2.01');
    expect(await outcome(nodes.c, operationId)).toBe('succeeded');
    expect(after.servedFrom).toEqual([nodes.b.coap.local.port]);
    expect(await sendingNodes('mn-moved')).toEqual(['node-a', 'node-b']);
    expect((await events(operationStream('mn-moved'))).map((event) => event.type)).toEqual([
      'OperationRequested',
      'OperationSent',
      'OperationReturnedToQueue',
      'OperationSent',
      'OperationSucceeded',
    ]);
    expect(after.served).toEqual(['GET /3/0/2']);
    expect(before.served).toEqual(['GET /3/0/2']);
  });

  // RFC 7252 section 4.8.2: MAX_TRANSMIT_WAIT, after which the holder takes over another node's attempt.
  it.each([
    { case: 'at once, long overdue', endpoint: 'mn-dead', sentMsAgo: 10 * 60_000 },
    { case: 'when due', endpoint: 'mn-dead-recent', sentMsAgo: 93_000 - 500 },
  ])("takes over a stopped node's unanswered attempt once the device registers with another node, and sends it again: $case", async ({ endpoint, sentMsAgo }) => {
    await importTestDevice(store, endpoint);
    const sentAt = new Date(Date.now() - sentMsAgo).toISOString();
    // What a node that has since stopped left in the log: the device registered with it, and a request in flight.
    await store.appendToStream(registrationStream(endpoint), [deadNodeRegistered(endpoint, sentAt)], 'no_stream');
    const operationId = `op-${endpoint}`;
    await store.appendToStream(
      operationStream(endpoint),
      [
        { type: 'OperationRequested', data: { operationId, endpoint, operation: { kind: 'read', paths: ['/3/0/2'], content: null }, requestedBy: 'user:test', correlationId: `${endpoint}-read`, requestedAt: sentAt } },
        { type: 'OperationSent', data: { operationId, attempt: 1, sentAt, nodeId: 'node-dead' } },
      ],
      'no_stream',
    );
    const client = await device(endpoint, nodes.b);
    expect((await client.register()).code).toBe('2.01');
    expect(await outcome(nodes.a, operationId)).toBe('succeeded');
    expect((await events(operationStream(endpoint))).map((event) => [event.type, (event.data as { nodeId?: string }).nodeId])).toEqual([
      ['OperationRequested', undefined],
      ['OperationSent', 'node-dead'],
      ['OperationDeliveryTimedOut', undefined],
      ['OperationSent', 'node-b'],
      ['OperationSucceeded', undefined],
    ]);
    expect(client.served).toEqual(['GET /3/0/2']);
  });

  it("expires a stopped node's registration once, whichever nodes' expiry runs race", async () => {
    await importTestDevice(store, 'mn-expire');
    const lastUpdateAt = new Date(Date.now() - 10 * 60_000).toISOString();
    await store.appendToStream(registrationStream('mn-expire'), [deadNodeRegistered('mn-expire', lastUpdateAt)], 'no_stream');
    // The registration is long overdue, so each node's own expiry timer (every second) may expire it
    // as soon as that node sees it: wait until every node has it, or until one node has expired it.
    const expired = async (): Promise<boolean> => (await events(registrationStream('mn-expire'))).some((event) => event.type === 'RegistrationExpired');
    for (const node of Object.values(nodes)) {
      await eventually(async () => (node.registrations.registration('mn-expire')?.registrationId === 'reg-mn-expire' || (await expired()) ? true : undefined));
    }
    await Promise.all(Object.values(nodes).map((node) => node.registrations.expireDue()));
    for (const node of Object.values(nodes)) await eventually(() => (node.registrations.registration('mn-expire') === undefined ? true : undefined));
    expect((await events(registrationStream('mn-expire'))).map((event) => event.type)).toEqual(['DeviceRegistered', 'RegistrationExpired']);
    expect(await events(observationStream('mn-expire'))).toEqual([]);
  });

  it("answers RST to a notification that reaches a node not holding the device's registration (RFC 7641 section 3.6)", async () => {
    await importTestDevice(store, 'mn-notify');
    const raw = await registerRawDevice(nodes.a.coap.local, 'mn-notify', '</>;rt="oma.lwm2m";ct=0,</3/0>,</3303/0>');
    rawPeers.push(raw);
    await seenEverywhere('mn-notify', nodes.a.registrations.registration('mn-notify')?.registrationId ?? '');
    const { operationId } = await nodes.c.deviceManagement.requestOperation('mn-notify', { kind: 'observe', paths: ['/3303/0/5700'], content: null }, 'user:test', 'mn-notify-observe');
    const observe = await raw.request('0.01');
    raw.reply(observe.message, '2.05', [uintOptionOf(OptionNumber.Observe, 1), uintOptionOf(OptionNumber.ContentFormat, 0)], new TextEncoder().encode('21.5'));
    expect(await outcome(nodes.c, operationId)).toBe('succeeded');
    const notification = (messageId: number, value: string): CoapMessage => ({
      type: 'CON',
      code: '2.05',
      messageId,
      token: observe.message.token,
      options: [uintOptionOf(OptionNumber.Observe, messageId), uintOptionOf(OptionNumber.ContentFormat, 0)],
      payload: new TextEncoder().encode(value),
    });
    raw.send(notification(2, '22'));
    expect((await raw.waitFor((datagram) => datagram.message?.messageId === 2)).message?.type).toBe('ACK');
    // The balancer now sends the device's datagrams to node B, from the same address and port.
    raw.moveTo(nodes.b.coap.local.port);
    raw.send(notification(3, '23'));
    expect((await raw.waitFor((datagram) => datagram.message?.messageId === 3)).message?.type).toBe('RST');
    const reported = (await events(resourceStream('mn-notify'))).map((event) => (event.data as unknown as ResourceValuesReported).values[0]?.value.text);
    expect(reported).toEqual(['21.5', '22']);
  });

  // Last: Auto-observe on 3303/5700 concerns every device announcing 3303 from then on.
  it('auto-observes a device once, from the node holding it, and again from the node it registers with next', async () => {
    const context = { actor: 'user:test', correlationId: 'mn-auto-observe' };
    await nodes.c.protocols.importDdf(readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url), 'utf8'), context);
    const measurement = { kind: 'sendMeasurement', type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' } as const;
    await nodes.c.protocols.setResourceFunctionality({ objectId: 3303, resourceId: 5700, functionality: measurement }, context);
    await nodes.c.protocols.setResourceFunctionality({ objectId: 3303, resourceId: 5700, functionality: { kind: 'autoObserve' } }, context);
    await importTestDevice(store, 'mn-observed');
    const objects = new TestDeviceObjects();
    const client = await device('mn-observed', nodes.a, (request, response) => objects.serve(request, response));
    const established = async (count: number): Promise<void> => {
      await eventually(async () => ((await events(observationStream('mn-observed'))).filter((event) => event.type === 'ObservationEstablished').length === count ? true : undefined), 10_000);
    };
    expect((await client.register()).code).toBe('2.01');
    await established(1);
    client.moveTo(nodes.b.coap.local.port);
    expect((await client.update()).code).toBe('4.04');
    expect((await client.register()).code).toBe('2.01');
    await established(2);
    const observes = (await events(operationStream('mn-observed'))).filter((event) => event.type === 'OperationRequested');
    expect(observes.map((event) => event.metadata.actor)).toEqual(['system:auto-observe', 'system:auto-observe']);
    expect(await sendingNodes('mn-observed')).toEqual(['node-a', 'node-b']);
    expect(client.servedFrom).toEqual([nodes.a.coap.local.port, nodes.b.coap.local.port]);
    // The new registration ended the observation node A had made.
    expect((await events(observationStream('mn-observed'))).map((event) => event.type)).toEqual(['ObservationEstablished', 'ObservationCancelled', 'ObservationEstablished']);
  });
});

/** The registration a node that has since stopped (`node-dead`) recorded, last updated at `at`. */
function deadNodeRegistered(endpoint: string, at: string): NewEvent {
  const data: DeviceRegistered = { registration: testRegistration({ endpoint, registeredAt: at, nodeId: 'node-dead' }), replacedRegistrationId: null };
  return { type: 'DeviceRegistered', data: data as unknown as JsonValue };
}
