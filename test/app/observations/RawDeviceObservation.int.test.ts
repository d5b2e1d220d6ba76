/**
 * Exchanges the node-coap test client cannot show on the wire, played by a raw device over real UDP on
 * loopback: the Cancel Observation of an Observe and of an Observe-Composite (RFC 7641 section 3.6,
 * LwM2M Transport 1.1, Information Reporting), active or by Reset, a notification too large for one block (RFC
 * 7959 section 2.6), and the options an operator may choose: the content format, a Discover's depth,
 * an Observe's attributes, the root "/" of a Read-Composite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { operationSpec as spec } from '../../support/TestOperations.ts';
import { observationStream } from '../../../src/domain/observations/ObservationEvents.ts';
import { resourceStream } from '../../../src/domain/observations/ResourceValueEvents.ts';
import type { ResourceValuesReported } from '../../../src/domain/observations/ResourceValueEvents.ts';
import { CONTENT_FORMAT } from '../../../src/domain/lwm2m/content/ContentFormat.ts';
import { decodePaths } from '../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { formatPath } from '../../../src/domain/lwm2m/LwM2mPath.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { decodeBlockOption, encodeBlockOption } from '../../../src/adapters/coap/BlockOption.ts';
import { OptionNumber, optionValues, stringOptions, uintOption, uintOptionOf } from '../../../src/adapters/coap/CoapMessage.ts';
import type { OperationView } from '../../../src/projections/operations/OperationQueries.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import type { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { registerRawDevice } from '../../support/RawCoapPeer.ts';
import type { Harness } from '../operations/DeviceManagementHarness.ts';
import { eventually, startHarness } from '../operations/DeviceManagementHarness.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function setUp(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-raw-obs-'));
  const harness = await startHarness(dir, { clock: systemClock });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => harness.close());
  return harness;
}

/** A raw LwM2M 1.1 device that registers with SenML JSON announced on its root link. */
async function rawDevice(harness: Harness, endpoint: string): Promise<RawCoapPeer> {
  await importTestDevice(harness.store, endpoint);
  const raw = await registerRawDevice(harness.coap.local, endpoint, '</>;rt="oma.lwm2m";ct=110,</3/0>,</3303/0>');
  cleanups.push(() => raw.close());
  return raw;
}

async function finished(harness: Harness, operationId: string): Promise<OperationView> {
  return eventually(() => {
    const view = harness.api.operation(operationId);
    return view && ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
  });
}

/** Every option but Observe, as "number=hex", in wire order: what a cancel must repeat of its Observe. */
function optionsBesideObserve(message: CoapMessage): string[] {
  return message.options.filter((option) => option.number !== OptionNumber.Observe).map((option) => `${option.number}=${Buffer.from(option.value).toString('hex')}`);
}

/** Answers an Observe request as a device that accepts it, with `payload` in `format`. */
function acceptObserve(raw: RawCoapPeer, observe: CoapMessage, format: number, payload: Uint8Array): void {
  raw.reply(observe, '2.05', [uintOptionOf(OptionNumber.Observe, 1), uintOptionOf(OptionNumber.ContentFormat, format)], payload);
}

const senml = (records: unknown[]): Uint8Array => utf8(JSON.stringify(records));

describe('observation exchanges with a raw device', () => {
  it('cancels an Observe-Composite with FETCH, Observe 1, the same token and the same SenML path list', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-cancel-composite');
    const paths = ['/3/0/2', '/3303/0/5700'];
    const observeId = (await harness.api.requestOperation('raw-cancel-composite', spec('observe-composite', paths), 'user:test', 'c1')).operationId;
    const observe = await raw.request('0.05', 0);
    expect(uintOption(observe.message.options, OptionNumber.Observe)).toBe(0);
    acceptObserve(raw, observe.message, CONTENT_FORMAT.senmlJson, senml([{ n: '/3/0/2', vs: 'SN-1' }, { n: '/3303/0/5700', v: 21.5 }]));
    expect((await finished(harness, observeId)).status).toBe('succeeded');

    const cancelId = (await harness.api.requestOperation('raw-cancel-composite', spec('cancel-observation', paths), 'user:test', 'c2')).operationId;
    const cancel = await raw.request('0.05', observe.index);
    expect(uintOption(cancel.message.options, OptionNumber.Observe)).toBe(1);
    expect(Buffer.from(cancel.message.token).toString('hex')).toBe(Buffer.from(observe.message.token).toString('hex'));
    expect(uintOption(cancel.message.options, OptionNumber.ContentFormat)).toBe(CONTENT_FORMAT.senmlJson);
    const sentPaths = decodePaths(CONTENT_FORMAT.senmlJson, cancel.message.payload);
    expect(sentPaths.ok && sentPaths.value.map((path) => formatPath(path))).toEqual(paths);
    raw.reply(cancel.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson)], senml([{ n: '/3/0/2', vs: 'SN-1' }]));
    expect((await finished(harness, cancelId)).status).toBe('succeeded');
    const events = await harness.events(observationStream('raw-cancel-composite'));
    expect(events.map((event) => event.type)).toEqual(['ObservationEstablished', 'ObservationCancelled']);
    expect(harness.management.observations.activeCount).toBe(0);
    expect(optionValues(cancel.message.options, OptionNumber.UriPath)).toEqual([]);
  });

  it('fetches the rest of a block-wise notification with GET Block2 NUM 1.. and records the full value set (RFC 7959 section 2.6)', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-block-notify');
    const observeId = (await harness.api.requestOperation('raw-block-notify', spec('observe', ['/3/0']), 'user:test', 'c1')).operationId;
    const observe = await raw.request('0.01', 0);
    acceptObserve(raw, observe.message, CONTENT_FORMAT.senmlJson, senml([{ bn: '/3/0/', n: '0', vs: 'Short' }]));
    expect((await finished(harness, observeId)).status).toBe('succeeded');

    // The notification: a /3/0 far larger than one 64-byte block.
    const records = [
      { bn: '/3/0/', n: '0', vs: `Manufacturer ${'m'.repeat(60)}` },
      { n: '1', vs: `Model ${'x'.repeat(40)}` },
      { n: '2', vs: 'SN-0123456789' },
      { n: '3', vs: 'firmware 1.2.3' },
      { n: '9', v: 87 },
    ];
    const body = senml(records);
    const size = 64;
    const blocks = Math.ceil(body.length / size);
    expect(blocks).toBeGreaterThan(2);
    const from = raw.received.length;
    raw.send({
      type: 'CON',
      code: '2.05',
      messageId: 500,
      token: observe.message.token,
      options: [
        uintOptionOf(OptionNumber.Observe, 2),
        uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson),
        { number: OptionNumber.Block2, value: encodeBlockOption({ num: 0, more: true, size }) },
      ],
      payload: body.subarray(0, size),
    });
    const ack = await raw.waitFor((datagram) => datagram.message?.messageId === 500, 2_000, from);
    expect(ack.message?.type).toBe('ACK');
    let index = from;
    for (let num = 1; num < blocks; num++) {
      const get = await raw.request('0.01', index);
      index = get.index;
      const asked = decodeBlockOption(optionValues(get.message.options, OptionNumber.Block2)[0] ?? new Uint8Array(0));
      expect(asked.ok && asked.block).toMatchObject({ num, size });
      expect(uintOption(get.message.options, OptionNumber.Observe)).toBeUndefined();
      expect(optionValues(get.message.options, OptionNumber.UriPath).map((segment) => new TextDecoder().decode(segment))).toEqual(['3', '0']);
      const end = Math.min((num + 1) * size, body.length);
      raw.reply(get.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson), { number: OptionNumber.Block2, value: encodeBlockOption({ num, more: end < body.length, size }) }], body.subarray(num * size, end));
    }
    const notified = await eventually(async () => {
      const events = await harness.events(resourceStream('raw-block-notify'));
      return events.map((event) => event.data as unknown as ResourceValuesReported).find((data) => data.source === 'notification' && data.values.length > 1);
    });
    expect(notified.values.map((value) => [value.path, value.value.text])).toEqual([
      ['/3/0/0', `Manufacturer ${'m'.repeat(60)}`],
      ['/3/0/1', `Model ${'x'.repeat(40)}`],
      ['/3/0/2', 'SN-0123456789'],
      ['/3/0/3', 'firmware 1.2.3'],
      ['/3/0/9', '87'],
    ]);
    expect(raw.received.slice(index).some((datagram) => datagram.message?.type === 'RST')).toBe(false);
  });

  it('cancels an Observe with GET, Observe 1, the same token and every other option identical: Accept and the attributes query (RFC 7641 section 3.6)', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-cancel-same-options');
    for (const [index, content] of [null, { pmin: 10, pmax: 60 }].entries()) {
      const path = index === 0 ? '/3/0' : '/3303/0/5700';
      const from = raw.received.length;
      const observeId = (await harness.api.requestOperation('raw-cancel-same-options', spec('observe', [path], content), 'user:test', `o${index}`)).operationId;
      const observe = await raw.request('0.01', from);
      expect(uintOption(observe.message.options, OptionNumber.Accept)).toBe(CONTENT_FORMAT.senmlJson);
      acceptObserve(raw, observe.message, CONTENT_FORMAT.senmlJson, senml(index === 0 ? [{ bn: '/3/0/', n: '2', vs: 'SN-1' }] : [{ bn: path, v: 21.5 }]));
      expect((await finished(harness, observeId)).status).toBe('succeeded');

      const cancelId = (await harness.api.requestOperation('raw-cancel-same-options', spec('cancel-observation', [path]), 'user:test', `c${index}`)).operationId;
      const cancel = await raw.request('0.01', observe.index);
      expect(uintOption(cancel.message.options, OptionNumber.Observe)).toBe(1);
      expect(Buffer.from(cancel.message.token).toString('hex')).toBe(Buffer.from(observe.message.token).toString('hex'));
      expect(optionsBesideObserve(cancel.message)).toEqual(optionsBesideObserve(observe.message));
      if (content !== null) expect(stringOptions(cancel.message.options, OptionNumber.UriQuery)).toEqual(['pmin=10', 'pmax=60']);
      raw.reply(cancel.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson)], senml([{ bn: path, vs: 'x' }]));
      expect((await finished(harness, cancelId)).status).toBe('succeeded');
    }
  });

  it('cancels an Observe-Composite as the set it was established with, any order, repeating its chosen Content-Format and Accept', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-cancel-composite-set');
    const observeId = (await harness.api.requestOperation('raw-cancel-composite-set', { kind: 'observe-composite', paths: ['/3/0/2', '/3303/0/5700'], content: null, format: CONTENT_FORMAT.senmlCbor }, 'user:test', 'o')).operationId;
    const observe = await raw.request('0.05', 0);
    expect(uintOption(observe.message.options, OptionNumber.ContentFormat)).toBe(CONTENT_FORMAT.senmlCbor);
    expect(uintOption(observe.message.options, OptionNumber.Accept)).toBe(CONTENT_FORMAT.senmlCbor);
    // [{0: "/3/0/2", 3: "SN-1"}] in SenML CBOR (RFC 8428 section 6).
    acceptObserve(raw, observe.message, CONTENT_FORMAT.senmlCbor, Uint8Array.from(Buffer.from('81a200662f332f302f320364534e2d31', 'hex')));
    expect((await finished(harness, observeId)).status).toBe('succeeded');

    const single = (await harness.api.requestOperation('raw-cancel-composite-set', spec('cancel-observation', ['/3/0/2']), 'user:test', 'c1')).operationId;
    expect((await finished(harness, single)).reason).toBe('there is no active observation of /3/0/2');
    const cancelId = (await harness.api.requestOperation('raw-cancel-composite-set', spec('cancel-observation', ['/3303/0/5700', '/3/0/2']), 'user:test', 'c2')).operationId;
    const cancel = await raw.request('0.05', observe.index);
    expect(uintOption(cancel.message.options, OptionNumber.Observe)).toBe(1);
    expect(optionsBesideObserve(cancel.message)).toEqual(optionsBesideObserve(observe.message));
    expect(Buffer.from(cancel.message.payload).toString('hex')).toBe(Buffer.from(observe.message.payload).toString('hex'));
    raw.reply(cancel.message, '2.05');
    expect((await finished(harness, cancelId)).status).toBe('succeeded');
    expect(harness.management.observations.activeCount).toBe(0);
  });

  it('cancels by Reset when asked: sends nothing, records the choice, and answers the next notification with RST', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-cancel-reset');
    const observeId = (await harness.api.requestOperation('raw-cancel-reset', spec('observe', ['/3/0/9']), 'user:test', 'o')).operationId;
    const observe = await raw.request('0.01', 0);
    acceptObserve(raw, observe.message, CONTENT_FORMAT.textPlain, utf8('80'));
    expect((await finished(harness, observeId)).status).toBe('succeeded');

    const cancelId = (await harness.api.requestOperation('raw-cancel-reset', spec('cancel-observation', ['/3/0/9'], { reset: true }), 'user:test', 'c')).operationId;
    const cancelled = await finished(harness, cancelId);
    expect([cancelled.status, cancelled.responseCode]).toEqual(['succeeded', null]);
    const events = await harness.events(observationStream('raw-cancel-reset'));
    expect(events.map((event) => [event.type, (event.data as { reason?: string }).reason])).toEqual([
      ['ObservationEstablished', undefined],
      ['ObservationCancelled', 'reset-requested'],
    ]);
    const from = raw.received.length;
    raw.send({ type: 'CON', code: '2.05', messageId: 700, token: observe.message.token, options: [uintOptionOf(OptionNumber.Observe, 2), uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.textPlain)], payload: utf8('79') });
    const answer = await raw.waitFor((datagram) => datagram.message?.messageId === 700, 2_000, from);
    expect(answer.message?.type).toBe('RST');
    // No request went to the device after the Observe: only the Reset.
    expect(raw.received.slice(observe.index).filter((datagram) => datagram.message?.code.startsWith('0.') && datagram.message.code !== '0.00')).toEqual([]);
  });

  it('reads and writes in the format an operator chose (CBOR, 60), without falling back when the device refuses it', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-chosen-format');
    const readId = (await harness.api.requestOperation('raw-chosen-format', { kind: 'read', paths: ['/3/0/9'], content: null, format: CONTENT_FORMAT.cbor }, 'user:test', 'r')).operationId;
    const read = await raw.request('0.01', 0);
    expect(uintOption(read.message.options, OptionNumber.Accept)).toBe(CONTENT_FORMAT.cbor);
    raw.reply(read.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.cbor)], Uint8Array.of(0x18, 0x57));
    expect((await finished(harness, readId)).result).toEqual({ contentFormat: 60, values: [{ path: '/3/0/9', type: 'integer', text: '87' }] });

    const writeId = (await harness.api.requestOperation(
      'raw-chosen-format',
      { kind: 'write-replace', paths: ['/3/0/14'], content: { values: [{ path: '/3/0/14', type: 'string', text: '+02' }] }, format: CONTENT_FORMAT.cbor },
      'user:test',
      'w',
    )).operationId;
    const write = await raw.request('0.03', read.index);
    expect(uintOption(write.message.options, OptionNumber.ContentFormat)).toBe(CONTENT_FORMAT.cbor);
    expect(Buffer.from(write.message.payload).toString('hex')).toBe('632b3032');
    raw.reply(write.message, '4.15');
    const refused = await finished(harness, writeId);
    expect([refused.status, refused.responseCode]).toEqual(['failed', '4.15']);
    expect(raw.received.slice(write.index).filter((datagram) => datagram.message?.code === '0.03')).toEqual([]);
  });

  it('discovers with a depth, observes with attributes in the query, and reads the root "/" as a composite', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-queries');
    const discoverId = (await harness.api.requestOperation('raw-queries', spec('discover', ['/3'], { depth: 1 }), 'user:test', 'd')).operationId;
    const discover = await raw.request('0.01', 0);
    expect(stringOptions(discover.message.options, OptionNumber.UriPath)).toEqual(['3']);
    expect(stringOptions(discover.message.options, OptionNumber.UriQuery)).toEqual(['depth=1']);
    expect(uintOption(discover.message.options, OptionNumber.Accept)).toBe(CONTENT_FORMAT.linkFormat);
    raw.reply(discover.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, 40)], utf8('</3>,</3/0>'));
    expect((await finished(harness, discoverId)).status).toBe('succeeded');

    const observeId = (await harness.api.requestOperation('raw-queries', spec('observe', ['/3303/0/5700'], { pmin: 5, gt: 30.5, epmax: 120 }), 'user:test', 'o')).operationId;
    const observe = await raw.request('0.01', discover.index);
    expect(uintOption(observe.message.options, OptionNumber.Observe)).toBe(0);
    expect(stringOptions(observe.message.options, OptionNumber.UriQuery)).toEqual(['pmin=5', 'gt=30.5', 'epmax=120']);
    acceptObserve(raw, observe.message, CONTENT_FORMAT.textPlain, utf8('21.5'));
    expect((await finished(harness, observeId)).status).toBe('succeeded');

    const rootId = (await harness.api.requestOperation('raw-queries', spec('read-composite', ['/']), 'user:test', 'r')).operationId;
    const root = await raw.request('0.05', observe.index);
    expect(optionValues(root.message.options, OptionNumber.UriPath)).toEqual([]);
    expect(JSON.parse(new TextDecoder().decode(root.message.payload))).toEqual([{ n: '/' }]);
    raw.reply(root.message, '2.05', [uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson)], senml([{ n: '/3/0/2', vs: 'SN-1' }, { n: '/3303/0/5700', v: 21.5 }]));
    const rootRead = await finished(harness, rootId);
    expect(rootRead.status).toBe('succeeded');
    expect(rootRead.result).toEqual({ contentFormat: 110, values: [{ path: '/3/0/2', type: 'string', text: 'SN-1' }, { path: '/3303/0/5700', type: 'float', text: '21.5' }] });
  });
});
