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
import { CONTENT_FORMAT } from '../../../src/domain/lwm2m/content/ContentFormat.ts';
import { decodePaths } from '../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { formatPath } from '../../../src/domain/lwm2m/LwM2mPath.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { OptionNumber, optionValues, uintOption, uintOptionOf } from '../../../src/adapters/coap/CoapMessage.ts';
import type { OperationView } from '../../../src/projections/operations/OperationQueries.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import { RawCoapPeer } from '../../support/RawCoapPeer.ts';
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
  const raw = await RawCoapPeer.open({ address: '127.0.0.1', port: harness.coap.local.port });
  cleanups.push(() => raw.close());
  raw.send({
    type: 'CON',
    code: '0.02',
    messageId: 1,
    token: Uint8Array.of(9),
    options: [{ number: 11, value: utf8('rd') }, { number: 12, value: Uint8Array.of(40) }, { number: 15, value: utf8(`ep=${endpoint}`) }, { number: 15, value: utf8('lwm2m=1.1') }],
    payload: utf8('</>;rt="oma.lwm2m";ct=110,</3/0>,</3303/0>'),
  });
  expect((await raw.waitFor((datagram) => datagram.message?.messageId === 1)).message?.code).toBe('2.01');
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
});
