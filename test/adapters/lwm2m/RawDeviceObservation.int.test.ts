/**
 * Observation exchanges the node-coap test client cannot show on the wire, played by a raw device over
 * real UDP on loopback: the Cancel Observation of an Observe-Composite (LwM2M Transport 1.1 section
 * 6.x) and a notification too large for one block (RFC 7959 section 2.6, RFC 7641).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OperationSpec } from '../../../src/domain/operations/OperationEvents.ts';
import { observationStream } from '../../../src/domain/observations/ObservationEvents.ts';
import { resourceStream } from '../../../src/domain/observations/ResourceValueEvents.ts';
import type { ResourceValuesReported } from '../../../src/domain/observations/ResourceValueEvents.ts';
import { CONTENT_FORMAT } from '../../../src/domain/lwm2m/content/ContentFormat.ts';
import { decodePaths } from '../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { formatPath } from '../../../src/domain/lwm2m/LwM2mPath.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { decodeBlockOption, encodeBlockOption } from '../../../src/adapters/coap/BlockOption.ts';
import { OptionNumber, optionValues, uintOption, uintOptionOf } from '../../../src/adapters/coap/CoapMessage.ts';
import type { OperationView } from '../../../src/projections/operations/OperationQueries.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import type { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { registerRawDevice } from '../../support/RawCoapPeer.ts';
import type { Harness } from './DeviceManagementHarness.ts';
import { eventually, startHarness } from './DeviceManagementHarness.ts';

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

async function request(raw: RawCoapPeer, code: string, from: number): Promise<{ message: CoapMessage; index: number }> {
  const found = await raw.waitFor((datagram) => datagram.message?.code === code, 2_000, from);
  if (!found.message) throw new Error(`no ${code}`);
  return { message: found.message, index: raw.received.indexOf(found) + 1 };
}

async function finished(harness: Harness, operationId: string): Promise<OperationView> {
  return eventually(() => {
    const view = harness.api.operation(operationId);
    return view && ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
  });
}

function spec(kind: OperationSpec['kind'], paths: string[]): OperationSpec {
  return { kind, paths, content: null };
}

const senml = (records: unknown[]): Uint8Array => utf8(JSON.stringify(records));

describe('observation exchanges with a raw device', () => {
  it('cancels an Observe-Composite with FETCH, Observe 1, the same token and the same SenML path list', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-cancel-composite');
    const paths = ['/3/0/2', '/3303/0/5700'];
    const observeId = await harness.api.requestOperation('raw-cancel-composite', spec('observe-composite', paths), 'user:test', 'c1');
    const observe = await request(raw, '0.05', 0);
    expect(uintOption(observe.message.options, OptionNumber.Observe)).toBe(0);
    raw.send({
      type: 'ACK',
      code: '2.05',
      messageId: observe.message.messageId,
      token: observe.message.token,
      options: [uintOptionOf(OptionNumber.Observe, 1), uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson)],
      payload: senml([{ n: '/3/0/2', vs: 'SN-1' }, { n: '/3303/0/5700', v: 21.5 }]),
    });
    expect((await finished(harness, observeId)).status).toBe('succeeded');

    const cancelId = await harness.api.requestOperation('raw-cancel-composite', spec('cancel-observation', paths), 'user:test', 'c2');
    const cancel = await request(raw, '0.05', observe.index);
    expect(uintOption(cancel.message.options, OptionNumber.Observe)).toBe(1);
    expect(Buffer.from(cancel.message.token).toString('hex')).toBe(Buffer.from(observe.message.token).toString('hex'));
    expect(uintOption(cancel.message.options, OptionNumber.ContentFormat)).toBe(CONTENT_FORMAT.senmlJson);
    const sentPaths = decodePaths(CONTENT_FORMAT.senmlJson, cancel.message.payload);
    expect(sentPaths.ok && sentPaths.value.map((path) => formatPath(path))).toEqual(paths);
    raw.send({ type: 'ACK', code: '2.05', messageId: cancel.message.messageId, token: cancel.message.token, options: [uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson)], payload: senml([{ n: '/3/0/2', vs: 'SN-1' }]) });
    expect((await finished(harness, cancelId)).status).toBe('succeeded');
    const events = await harness.events(observationStream('raw-cancel-composite'));
    expect(events.map((event) => event.type)).toEqual(['ObservationEstablished', 'ObservationCancelled']);
    expect(harness.management.observations.activeCount).toBe(0);
    expect(optionValues(cancel.message.options, OptionNumber.UriPath)).toEqual([]);
  });

  it('fetches the rest of a block-wise notification with GET Block2 NUM 1.. and records the full value set (RFC 7959 section 2.6)', async () => {
    const harness = await setUp();
    const raw = await rawDevice(harness, 'raw-block-notify');
    const observeId = await harness.api.requestOperation('raw-block-notify', spec('observe', ['/3/0']), 'user:test', 'c1');
    const observe = await request(raw, '0.01', 0);
    raw.send({
      type: 'ACK',
      code: '2.05',
      messageId: observe.message.messageId,
      token: observe.message.token,
      options: [uintOptionOf(OptionNumber.Observe, 1), uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson)],
      payload: senml([{ bn: '/3/0/', n: '0', vs: 'Short' }]),
    });
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
      const get = await request(raw, '0.01', index);
      index = get.index;
      const asked = decodeBlockOption(optionValues(get.message.options, OptionNumber.Block2)[0] ?? new Uint8Array(0));
      expect(asked.ok && asked.block).toMatchObject({ num, size });
      expect(uintOption(get.message.options, OptionNumber.Observe)).toBeUndefined();
      expect(optionValues(get.message.options, OptionNumber.UriPath).map((segment) => new TextDecoder().decode(segment))).toEqual(['3', '0']);
      const end = Math.min((num + 1) * size, body.length);
      raw.send({
        type: 'ACK',
        code: '2.05',
        messageId: get.message.messageId,
        token: get.message.token,
        options: [uintOptionOf(OptionNumber.ContentFormat, CONTENT_FORMAT.senmlJson), { number: OptionNumber.Block2, value: encodeBlockOption({ num, more: end < body.length, size }) }],
        payload: body.subarray(num * size, end),
      });
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
});
