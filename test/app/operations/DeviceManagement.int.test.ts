/**
 * Device management over real UDP on loopback (LwM2M Core 1.1 sections 6.3 and 6.4): the node-coap
 * test client with objects 1, 3 and 3303 as the device, the service's stack on a SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { OperationSpec } from '../../../src/domain/operations/OperationEvents.ts';
import { operationSpec as spec } from '../../support/TestOperations.ts';
import { operationStream } from '../../../src/domain/operations/OperationEvents.ts';
import { observationStream } from '../../../src/domain/observations/ObservationEvents.ts';
import { resourceStream } from '../../../src/domain/observations/ResourceValueEvents.ts';
import type { ResourceValuesReported } from '../../../src/domain/observations/ResourceValueEvents.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import { CONTENT_FORMAT } from '../../../src/domain/lwm2m/content/ContentFormat.ts';
import type { OperationView } from '../../../src/projections/operations/OperationQueries.ts';
import { TestLwM2mClient } from '../../support/TestLwM2mClient.ts';
import { TestDeviceObjects } from '../../support/TestDeviceObjects.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { RawCoapPeer, registerRawDevice } from '../../support/RawCoapPeer.ts';
import type { Harness, HarnessOptions } from './DeviceManagementHarness.ts';
import { eventually, startHarness } from './DeviceManagementHarness.ts';

const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

async function setUp(options: HarnessOptions = { clock: systemClock }, dir = mkdtempSync(join(tmpdir(), 'hub-dm-'))): Promise<{ harness: Harness; dir: string }> {
  const harness = await startHarness(dir, options);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => harness.close());
  return { harness, dir };
}

async function device(harness: Harness, endpoint: string, binding = 'U'): Promise<{ client: TestLwM2mClient; objects: TestDeviceObjects }> {
  await importTestDevice(harness.store, endpoint);
  const objects = new TestDeviceObjects();
  const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint, binding, lifetime: 600, objectLinks: links, device: objects });
  cleanups.push(() => client.close());
  expect((await client.register()).code).toBe('2.01');
  return { client, objects };
}

async function finished(harness: Harness, operationId: string): Promise<OperationView> {
  return eventually(() => {
    const view = harness.api.operation(operationId);
    return view && ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
  });
}

async function run(harness: Harness, endpoint: string, operation: OperationSpec): Promise<OperationView> {
  return finished(harness, (await harness.api.requestOperation(endpoint, operation, 'user:test', `corr-${operation.kind}`)).operationId);
}

describe('device management over CoAP', () => {
  it('reads an object instance with an Accept option, recording the operation, the values and the read model', async () => {
    const { harness } = await setUp();
    await device(harness, 'dm-read');
    const read = await run(harness, 'dm-read', spec('read', ['/3/0']));
    expect(read).toMatchObject({ status: 'succeeded', responseCode: '2.05', attempts: 1, requestedBy: 'user:test', correlationId: 'corr-read' });
    expect(read.result).toMatchObject({ contentFormat: 110 });
    expect(JSON.stringify(read.result)).toContain('"path":"/3/0/2","type":"string","text":"SN-0001"');
    const types = (await harness.events(operationStream('dm-read'))).map((event) => event.type);
    expect(types).toEqual(['OperationRequested', 'OperationSent', 'OperationSucceeded']);
    const reported = (await harness.events(resourceStream('dm-read')))[0]?.data as unknown as ResourceValuesReported;
    expect(reported.source).toBe('read');
    expect(reported.values).toContainEqual({ path: '/3/0/9', value: { type: 'integer', text: '87' }, time: null });
    const values = await eventually(() => {
      const rows = harness.api.resources('dm-read', '/3/0');
      return rows.length >= 5 ? rows : undefined;
    });
    expect(values.find((row) => row.path === '/3/0/1')).toMatchObject({ type: 'string', text: 'TestLwM2mClient', source: 'read' });
    expect(harness.api.resources('dm-read', '/3303')).toEqual([]);
  });

  it('observes a resource, records each notification as values, and ends the observation on a new registration', async () => {
    const { harness } = await setUp();
    const { client, objects } = await device(harness, 'dm-observe');
    const heard: string[] = [];
    cleanups.push(harness.api.onResourceValues('dm-observe', '/3303/0', (values) => heard.push(...values.map((value) => value.text))));
    const observe = await run(harness, 'dm-observe', spec('observe', ['/3303/0/5700']));
    expect(observe.status).toBe('succeeded');
    const established = await harness.events(observationStream('dm-observe'));
    expect(established.map((event) => event.type)).toEqual(['ObservationEstablished']);
    objects.set('/3303/0/5700', 22.25);
    objects.set('/3303/0/5700', 23);
    await eventually(() => (heard.includes('23') ? true : undefined));
    expect(heard).toEqual(['21.5', '22.25', '23']);
    const notifications = (await harness.events(resourceStream('dm-observe'))).map((event) => event.data as unknown as ResourceValuesReported);
    expect(notifications.map((data) => [data.source, data.values[0]?.value.text])).toEqual([
      ['notification', '21.5'],
      ['notification', '22.25'],
      ['notification', '23'],
    ]);
    expect(await eventually(() => harness.api.resources('dm-observe', '/3303/0/5700')[0]?.text === '23' || undefined)).toBe(true);

    expect((await client.register()).code).toBe('2.01');
    const cancelled = await eventually(async () => {
      const events = await harness.events(observationStream('dm-observe'));
      return events.length === 2 ? events[1] : undefined;
    });
    expect(cancelled).toMatchObject({ type: 'ObservationCancelled', data: { reason: 'new-registration' } });
    // The old observation's token is unknown now: its next notification is refused with RST, and node-coap stops it.
    objects.set('/3303/0/5700', 30);
    await eventually(() => (objects.observedPaths.length === 0 ? true : undefined));
    expect(notifications.length).toBe(3);
  });

  it('cancels an observation with GET Observe 1', async () => {
    const { harness } = await setUp();
    const { objects } = await device(harness, 'dm-cancel');
    expect((await run(harness, 'dm-cancel', spec('observe', ['/3303/0/5700']))).status).toBe('succeeded');
    expect(objects.observedPaths).toEqual(['/3303/0/5700']);
    expect((await run(harness, 'dm-cancel', spec('cancel-observation', ['/3303/0/5700']))).status).toBe('succeeded');
    expect(objects.observedPaths).toEqual([]);
    const events = await harness.events(observationStream('dm-cancel'));
    expect(events.map((event) => [event.type, (event.data as { reason?: string }).reason])).toEqual([
      ['ObservationEstablished', undefined],
      ['ObservationCancelled', 'cancel-requested'],
    ]);
    expect(await run(harness, 'dm-cancel', spec('cancel-observation', ['/3303/0/5700']))).toMatchObject({ status: 'failed', reason: 'there is no active observation of /3303/0/5700' });
  });

  it('does not take a plain answer to Observe for an observation (RFC 7641 section 3.1)', async () => {
    const { harness } = await setUp();
    await importTestDevice(harness.store, 'dm-no-observe');
    // A raw device (node-coap always answers Observe with an Observe option): registers, then answers without one.
    const raw = await registerRawDevice(harness.coap.local, 'dm-no-observe', '</>;rt="oma.lwm2m";ct=0,</3303/0>');
    cleanups.push(() => raw.close());
    const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
    const id = (await harness.api.requestOperation('dm-no-observe', spec('observe', ['/3303/0/5700']), 'user:test', 'c')).operationId;
    const get = (await raw.waitFor((datagram) => datagram.message?.code === '0.01')).message;
    if (!get) throw new Error('no GET');
    raw.send({ type: 'ACK', code: '2.05', messageId: get.messageId, token: get.token, options: [{ number: 12, value: new Uint8Array(0) }], payload: utf8('21.5') });
    expect(await finished(harness, id)).toMatchObject({
      status: 'failed',
      reason: 'the device answered 2.05 without an Observe option: it did not accept the observation',
    });
    expect(await harness.events(observationStream('dm-no-observe'))).toEqual([]);
    expect(harness.management.observations.activeCount).toBe(0);
  });

  it('writes, executes with arguments, writes attributes, discovers, creates and deletes', async () => {
    const { harness } = await setUp();
    const { objects } = await device(harness, 'dm-write');
    expect(await run(harness, 'dm-write', spec('write-replace', ['/3/0/14'], { values: [{ path: '/3/0/14', text: '+02' }] }))).toMatchObject({ status: 'succeeded', responseCode: '2.04' });
    expect(objects.resources.get('/3/0/14')?.value).toBe('+02');
    expect(await run(harness, 'dm-write', spec('write-partial', ['/3/0'], { values: [{ path: '/3/0/14', type: 'string', text: '+03' }] }))).toMatchObject({ status: 'succeeded' });
    expect(objects.resources.get('/3/0/14')?.value).toBe('+03');
    expect(await run(harness, 'dm-write', spec('execute', ['/3/0/4'], "0='now'"))).toMatchObject({ status: 'succeeded', responseCode: '2.04' });
    expect(objects.executed).toEqual(["/3/0/4 0='now'"]);
    expect(await run(harness, 'dm-write', spec('write-attributes', ['/3303/0/5700'], { pmin: 10, pmax: 60, gt: 30.5, lt: 5, st: 0.5, epmin: 1, epmax: 100 }))).toMatchObject({ status: 'succeeded' });
    expect(objects.attributes.get('/3303/0/5700')).toEqual(['pmin=10', 'pmax=60', 'gt=30.5', 'lt=5', 'st=0.5', 'epmin=1', 'epmax=100']);
    const discover = await run(harness, 'dm-write', spec('discover', ['/3303']));
    expect(JSON.stringify(discover.result)).toContain('"target":"/3303/0/5700"');
    const create = await run(harness, 'dm-write', spec('create', ['/3303'], { values: [{ path: '/3303/1/5700', text: '18.5' }, { path: '/3303/1/5701', text: 'Cel' }] }));
    expect(create).toMatchObject({ status: 'succeeded', responseCode: '2.01', result: { location: '/3303/1' } });
    expect(objects.resources.get('/3303/1/5700')?.value).toBe(18.5);
    expect(await run(harness, 'dm-write', spec('delete', ['/3303/1']))).toMatchObject({ status: 'succeeded', responseCode: '2.02' });
    expect(objects.resources.has('/3303/1/5700')).toBe(false);
  });

  it('runs the composite operations with SenML', async () => {
    const { harness } = await setUp();
    const { objects } = await device(harness, 'dm-composite');
    const read = await run(harness, 'dm-composite', spec('read-composite', ['/3/0/2', '/3303/0/5700']));
    expect(read.status).toBe('succeeded');
    expect(JSON.stringify(read.result)).toContain('"path":"/3303/0/5700","type":"float","text":"21.5"');
    expect(JSON.stringify(read.result)).toContain('"path":"/3/0/2"');
    const write = await run(harness, 'dm-composite', spec('write-composite', ['/3/0/14', '/3303/0/5701'], { values: [{ path: '/3/0/14', text: '+05' }, { path: '/3303/0/5701', text: 'K' }] }));
    expect(write.status).toBe('succeeded');
    expect([objects.resources.get('/3/0/14')?.value, objects.resources.get('/3303/0/5701')?.value]).toEqual(['+05', 'K']);
    expect((await run(harness, 'dm-composite', spec('observe-composite', ['/3303/0/5700']))).status).toBe('succeeded');
    objects.set('/3303/0/5700', 19);
    await eventually(async () => {
      const events = await harness.events(resourceStream('dm-composite'));
      return events.some((event) => (event.data as unknown as ResourceValuesReported).values.some((value) => value.value.text === '19')) || undefined;
    });
  });

  it('fails with a reason a person understands on 4.04 and 4.05, and falls back to another format on 4.06', async () => {
    const { harness } = await setUp();
    const { objects } = await device(harness, 'dm-errors');
    expect(await run(harness, 'dm-errors', spec('read', ['/3303/7']))).toMatchObject({ status: 'failed', responseCode: '4.04', reason: 'the device answered 4.04 Not Found' });
    expect(await run(harness, 'dm-errors', spec('read', ['/3/0/4']))).toMatchObject({ status: 'failed', responseCode: '4.05', reason: 'the device answered 4.05 Method Not Allowed' });
    objects.refusedFormats.add(110);
    const fallback = await run(harness, 'dm-errors', spec('read', ['/3303/0/5700']));
    expect(fallback).toMatchObject({ status: 'succeeded', result: { contentFormat: 0, values: [{ path: '/3303/0/5700', type: 'float', text: '21.5' }] } });
    await expect(harness.api.requestOperation('dm-errors', spec('read', ['/3/x']), 'user:test', 'c')).rejects.toThrow(/invalid LwM2M path/);
  });

  it('reads a large resource block-wise (RFC 7959)', async () => {
    const { harness } = await setUp();
    const { objects } = await device(harness, 'dm-block');
    const large = 'x'.repeat(5_000);
    objects.set('/3/0/0', large);
    const read = await run(harness, 'dm-block', spec('read', ['/3/0/0']));
    expect(read.status).toBe('succeeded');
    expect(JSON.stringify(read.result)).toContain(`"text":"${large}"`);
  });

  it('accepts Send (POST /dp) from a registered device and refuses it from a stranger', async () => {
    const { harness } = await setUp();
    const { client } = await device(harness, 'dm-send');
    const sent = await client.sendValues(JSON.stringify([{ bn: '/3303/0/', bt: 1767225600, n: '5700', v: 24.5 }, { n: '5701', vs: 'Cel' }]));
    expect(sent.code).toBe('2.04');
    const reported = (await harness.events(resourceStream('dm-send')))[0]?.data as unknown as ResourceValuesReported;
    expect(reported).toMatchObject({ source: 'send', operationId: null });
    expect(reported.values).toEqual([
      { path: '/3303/0/5700', value: { type: 'float', text: '24.5' }, time: '2026-01-01T00:00:00.000Z' },
      { path: '/3303/0/5701', value: { type: 'string', text: 'Cel' }, time: '2026-01-01T00:00:00.000Z' },
    ]);
    expect((await client.sendValues('[{"n":')).code).toBe('4.00');
    const stranger = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint: 'nobody' });
    cleanups.push(() => stranger.close());
    expect((await stranger.sendValues('[]')).code).toBe('4.03');
  });

  it('answers RST to a notification of an unknown token, and survives garbage', async () => {
    const { harness } = await setUp();
    const peer = await RawCoapPeer.open({ address: '127.0.0.1', port: harness.coap.local.port });
    cleanups.push(() => peer.close());
    peer.send({ type: 'CON', code: '2.05', messageId: 4242, token: Uint8Array.from([1, 2, 3, 4]), options: [{ number: 6, value: Uint8Array.from([7]) }], payload: new TextEncoder().encode('21') });
    const reply = await peer.waitFor((datagram) => datagram.message?.messageId === 4242);
    expect(reply.message?.type).toBe('RST');
    for (let i = 0; i < 40; i++) peer.sendBytes(Uint8Array.from({ length: i % 23 }, (_, j) => (i * 37 + j * 11) & 0xff));
    await device(harness, 'dm-garbage');
    expect((await run(harness, 'dm-garbage', spec('read', ['/3/0/2']))).status).toBe('succeeded');
  });

  it('answers every hostile Send and notification payload without failing (random bytes)', async () => {
    const { harness } = await setUp();
    await importTestDevice(harness.store, 'dm-hostile');
    const raw = await registerRawDevice(harness.coap.local, 'dm-hostile', '</>;rt="oma.lwm2m";ct=0,</3303/0>');
    cleanups.push(() => raw.close());
    const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
    // An observation to aim hostile notifications at.
    const id = (await harness.api.requestOperation('dm-hostile', spec('observe', ['/3303/0/5700']), 'user:test', 'c')).operationId;
    const get = (await raw.waitFor((datagram) => datagram.message?.code === '0.01')).message;
    if (!get) throw new Error('no GET');
    raw.send({ type: 'ACK', code: '2.05', messageId: get.messageId, token: get.token, options: [{ number: 6, value: Uint8Array.of(1) }, { number: 12, value: new Uint8Array(0) }], payload: utf8('21.5') });
    expect((await finished(harness, id)).status).toBe('succeeded');
    let messageId = 100;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 42, 110, 112, 11542, 11544), async (payload, format) => {
        const send = ++messageId;
        const formatOption = { number: 12, value: format === 0 ? new Uint8Array(0) : format < 256 ? Uint8Array.of(format) : Uint8Array.of(format >> 8, format & 0xff) };
        raw.send({ type: 'CON', code: '0.02', messageId: send, token: Uint8Array.of(1, 2), options: [{ number: 11, value: utf8('dp') }, formatOption], payload });
        const reply = await raw.waitFor((datagram) => datagram.message?.messageId === send);
        expect(['2.04', '4.00', '4.15']).toContain(reply.message?.code);
        const notify = ++messageId;
        raw.send({ type: 'CON', code: '2.05', messageId: notify, token: get.token, options: [{ number: 6, value: Uint8Array.of(notify & 0xff) }, formatOption], payload });
        expect((await raw.waitFor((datagram) => datagram.message?.messageId === notify)).message?.type).toBe('ACK');
      }),
      { numRuns: 150 },
    );
    const { objects } = await device(harness, 'dm-after-hostile');
    expect(objects).toBeDefined();
    expect((await run(harness, 'dm-after-hostile', spec('read', ['/3/0/2']))).status).toBe('succeeded');
  });

  it('queues operations for a sleeping device in queue mode and delivers them, in order, on its next update', async () => {
    const clock = new ManualClock(Date.now());
    const { harness } = await setUp({ clock });
    const { client, objects } = await device(harness, 'dm-sleepy', 'UQ');
    clock.advanceSeconds(120); // beyond the 93 s awake window
    const first = (await harness.api.requestOperation('dm-sleepy', spec('write-replace', ['/3/0/14'], { values: [{ path: '/3/0/14', text: '+09' }] }), 'user:test', 'c1')).operationId;
    const second = (await harness.api.requestOperation('dm-sleepy', spec('read', ['/3/0/14']), 'user:test', 'c2')).operationId;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.api.operation(first)?.status ?? 'pending').toBe('pending');
    expect(objects.resources.get('/3/0/14')?.value).toBe('+01');
    expect((await client.update()).code).toBe('2.04');
    expect((await finished(harness, second)).result).toMatchObject({ values: [{ text: '+09' }] });
    expect((await finished(harness, first)).status).toBe('succeeded');
  });

  it('puts a timed-out operation back in the queue and redelivers it when the device is next heard of', async () => {
    const { harness } = await setUp();
    const { client, objects } = await device(harness, 'dm-timeout');
    objects.silent = true;
    const id = (await harness.api.requestOperation('dm-timeout', spec('read', ['/3/0/2']), 'user:test', 'c')).operationId;
    await eventually(async () => ((await harness.events(operationStream('dm-timeout'))).some((event) => event.type === 'OperationDeliveryTimedOut') ? true : undefined));
    expect(harness.management.dispatcher.queueLength('dm-timeout')).toBe(1);
    objects.silent = false;
    expect((await client.update()).code).toBe('2.04');
    expect(await finished(harness, id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('fails an operation after the documented attempts', async () => {
    const { harness } = await setUp({ clock: systemClock, policy: { maxQueueLength: 1_000, maxAttempts: 2 } });
    const { client, objects } = await device(harness, 'dm-gone');
    objects.silent = true;
    const id = (await harness.api.requestOperation('dm-gone', spec('read', ['/3/0/2']), 'user:test', 'c')).operationId;
    await eventually(async () => ((await harness.events(operationStream('dm-gone'))).some((event) => event.type === 'OperationDeliveryTimedOut') ? true : undefined));
    await client.update();
    expect(await finished(harness, id)).toMatchObject({ status: 'failed', responseCode: null, reason: 'the device did not answer, 2 attempts' });
  });

  it('bounds each queue with a clear error, cancels, and keeps pending operations across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-dm-restart-'));
    const policy = { maxQueueLength: 2, maxAttempts: 3 };
    const first = await startHarness(dir, { clock: systemClock, policy });
    await importTestDevice(first.store, 'dm-offline');
    const a = (await first.api.requestOperation('dm-offline', spec('read', ['/3/0/1']), 'user:test', 'c1')).operationId;
    const b = (await first.api.requestOperation('dm-offline', spec('read', ['/3/0/2']), 'user:test', 'c2')).operationId;
    await expect(first.api.requestOperation('dm-offline', spec('read', ['/3/0/9']), 'user:test', 'c3')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await first.api.cancelOperation('dm-offline', a, 'user:test', 'changed my mind');
    await first.close();

    const { harness } = await setUp({ clock: systemClock, policy }, dir);
    expect(harness.management.dispatcher.queueLength('dm-offline')).toBe(1);
    const objects = new TestDeviceObjects();
    const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint: 'dm-offline', objectLinks: links, device: objects });
    cleanups.push(() => client.close());
    expect((await client.register()).code).toBe('2.01');
    expect(await finished(harness, b)).toMatchObject({ status: 'succeeded', correlationId: 'c2' });
    expect(harness.api.operation(a)).toMatchObject({ status: 'cancelled', reason: 'changed my mind' });
    expect(harness.api.operations('dm-offline').map((view) => view.operationId)).toEqual([a, b]);
  });

  it('leaves the attempt in flight when the service stops, instead of failing the operation, and sends it again once started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-dm-stop-'));
    const first = await startHarness(dir, { clock: systemClock });
    const port = first.coap.local.port;
    const { objects } = await device(first, 'dm-stop');
    objects.silent = true;
    const { operationId } = await first.api.requestOperation('dm-stop', spec('read', ['/3/0/2']), 'user:test', 'c-stop');
    await eventually(async () => ((await first.events(operationStream('dm-stop'))).some((event) => event.type === 'OperationSent') ? true : undefined));
    await first.close();

    objects.silent = false;
    const { harness } = await setUp({ clock: systemClock, coapPort: port }, dir);
    expect(await finished(harness, operationId)).toMatchObject({ status: 'succeeded' });
    expect((await harness.events(operationStream('dm-stop'))).map((event) => event.type)).toEqual([
      'OperationRequested',
      'OperationSent',
      'OperationDeliveryTimedOut',
      'OperationSent',
      'OperationSucceeded',
    ]);
  });

  it('delivers an operation from its event as stored while the content was any JSON value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-dm-stored-'));
    const first = await startHarness(dir, { clock: systemClock });
    await importTestDevice(first.store, 'dm-stored');
    // The JSON of an OperationRequested written before the content was typed by the operation's kind.
    const operation = { kind: 'write-replace', paths: ['/3/0/14'], content: { values: [{ path: '/3/0/14', type: 'string', text: '+09' }] } };
    const requested = { operationId: 'op-stored', endpoint: 'dm-stored', operation, requestedBy: 'user:test', correlationId: 'c-stored', requestedAt: new Date().toISOString() };
    await first.store.appendToStream(operationStream('dm-stored'), [{ type: 'OperationRequested', data: requested }], 'no_stream');
    await first.close();

    const { harness } = await setUp({ clock: systemClock }, dir);
    const objects = new TestDeviceObjects();
    const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint: 'dm-stored', objectLinks: links, device: objects });
    cleanups.push(() => client.close());
    expect((await client.register()).code).toBe('2.01');
    expect(await finished(harness, 'op-stored')).toMatchObject({ status: 'succeeded', correlationId: 'c-stored' });
    expect(objects.resources.get('/3/0/14')?.value).toBe('+09');
  });

  it('keeps observations across a restart: notifications to the restarted service are still recorded, and the cancel repeats the Observe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-dm-observe-restart-'));
    const first = await startHarness(dir, { clock: systemClock });
    const port = first.coap.local.port;
    const { objects } = await device(first, 'dm-observe-restart');
    const observe: OperationSpec = { kind: 'observe', paths: ['/3303/0/5700'], content: { pmin: 1, pmax: 600 }, format: CONTENT_FORMAT.senmlJson };
    expect((await run(first, 'dm-observe-restart', observe)).status).toBe('succeeded');
    await first.close();

    const { harness } = await setUp({ clock: systemClock, coapPort: port }, dir);
    expect(harness.management.observations.activeCount).toBe(1);
    objects.set('/3303/0/5700', 26.5);
    const values = await eventually(async () => {
      const events = (await harness.events(resourceStream('dm-observe-restart'))).map((event) => event.data as unknown as ResourceValuesReported);
      return events.length === 2 ? events.map((data) => data.values[0]?.value.text) : undefined;
    });
    expect(values).toEqual(['21.5', '26.5']);
    // RFC 7641 section 3.6, from what the log kept of the Observe: its Accept and its attributes.
    expect((await run(harness, 'dm-observe-restart', spec('cancel-observation', ['/3303/0/5700']))).status).toBe('succeeded');
    expect(objects.gets.map(({ query, accept, observe }) => ({ query, accept, observe }))).toEqual([
      { query: ['pmin=1', 'pmax=600'], accept: CONTENT_FORMAT.senmlJson, observe: 0 },
      { query: ['pmin=1', 'pmax=600'], accept: CONTENT_FORMAT.senmlJson, observe: 1 },
    ]);
  });

  it('tells operationUpdated listeners of every state', async () => {
    const { harness } = await setUp();
    await device(harness, 'dm-listen');
    const seen: string[] = [];
    cleanups.push(harness.api.onOperationUpdated((view) => seen.push(view.status)));
    await run(harness, 'dm-listen', spec('read', ['/3/0/2']));
    await eventually(() => (seen.includes('succeeded') ? true : undefined));
    expect(seen).toEqual(['pending', 'sent', 'succeeded']);
  });
});
