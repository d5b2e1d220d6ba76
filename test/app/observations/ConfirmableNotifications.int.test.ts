/**
 * When a confirmable notification is acknowledged (RFC 7641 section 4.5, RFC 7252 section 4.2): only
 * once its value is durable in the log. A raw CoAP device on loopback, the service's stack on a real
 * SQLite store; the store's appends to the device's resource stream are held at a gate, so the test
 * decides when (and whether) they complete.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import type { ResourceValuesReported } from '../../../src/domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../../../src/domain/observations/ResourceValueEvents.ts';
import { operationSpec as spec } from '../../support/TestOperations.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import type { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { acknowledgedMessageIds as acknowledged, registerRawDevice } from '../../support/RawCoapPeer.ts';
import type { HeldAppend } from '../../support/AppendGate.ts';
import { gateAppends } from '../../support/AppendGate.ts';
import type { Harness } from '../operations/DeviceManagementHarness.ts';
import { eventually, startHarness } from '../operations/DeviceManagementHarness.ts';

const endpoint = 'con-notify';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

/** The service, a raw device observed on /3303/0/5700, and a gate on the appends to the device's resource stream. */
async function observedDevice(): Promise<{ harness: Harness; raw: RawCoapPeer; token: Uint8Array; held: HeldAppend[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-con-notify-'));
  const harness = await startHarness(dir, { clock: systemClock });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => harness.close());
  await importTestDevice(harness.store, endpoint);
  const raw = await registerRawDevice(harness.coap.local, endpoint, '</>;rt="oma.lwm2m";ct=0,</3303/0>');
  cleanups.push(() => raw.close());
  await harness.api.requestOperation(endpoint, spec('observe', ['/3303/0/5700']), 'user:test', 'observe');
  const get = (await raw.waitFor((datagram) => datagram.message?.code === '0.01')).message;
  if (!get) throw new Error('no Observe request');
  raw.send({ type: 'ACK', code: '2.05', messageId: get.messageId, token: get.token, options: [{ number: 6, value: Uint8Array.of(1) }, { number: 12, value: new Uint8Array(0) }], payload: new TextEncoder().encode('20') });
  // The observation is established once the Observe response's value is stored.
  await eventually(async () => ((await harness.events(resourceStream(endpoint))).length === 1 ? true : undefined));

  const held = gateAppends(harness.store, (stream) => stream === resourceStream(endpoint));
  return { harness, raw, token: get.token, held };
}

let observeSequence = 1;
function notification(token: Uint8Array, messageId: number, value: string): CoapMessage {
  observeSequence += 1;
  return { type: 'CON', code: '2.05', messageId, token, options: [{ number: 6, value: Uint8Array.of(observeSequence) }, { number: 12, value: new Uint8Array(0) }], payload: new TextEncoder().encode(value) };
}

async function storedValues(harness: Harness): Promise<string[]> {
  const events = await harness.events(resourceStream(endpoint));
  return events.slice(1).map((event) => (event.data as unknown as ResourceValuesReported).values.map((value) => value.value.text).join(','));
}

describe('confirmable notifications', () => {
  it('are each their own event, in the order sent, and acknowledged only once their append is durable', async () => {
    const { harness, raw, token, held } = await observedDevice();
    raw.send(notification(token, 501, '21'));
    await eventually(() => (held.length === 1 ? true : undefined));
    // Sent while the first is being stored: they wait, and go as the device's next append.
    raw.send(notification(token, 502, '22'));
    raw.send(notification(token, 503, '23'));
    expect(await acknowledged(raw, 9001)).toEqual([]);

    held[0]?.release();
    await raw.waitFor((datagram) => datagram.message?.type === 'ACK' && datagram.message.messageId === 501);
    await eventually(() => (held.length === 2 ? true : undefined));
    expect(held[1]?.events).toHaveLength(2);
    expect(await acknowledged(raw, 9002)).toEqual([501]);

    held[1]?.release();
    await raw.waitFor((datagram) => datagram.message?.type === 'ACK' && datagram.message.messageId === 503);
    expect((await acknowledged(raw, 9003)).sort()).toEqual([501, 502, 503]);
    expect(await storedValues(harness)).toEqual(['21', '22', '23']);
  });

  it('acknowledges none of a failed append, and stores and acknowledges the device\'s retransmissions', async () => {
    const { harness, raw, token, held } = await observedDevice();
    raw.send(notification(token, 601, '31'));
    await eventually(() => (held.length === 1 ? true : undefined));
    const second = notification(token, 602, '32');
    const third = notification(token, 603, '33');
    raw.send(second);
    raw.send(third);
    held[0]?.release();
    await eventually(() => (held.length === 2 ? true : undefined));
    held[1]?.fail();
    await eventually(async () => ((await storedValues(harness)).length === 1 ? true : undefined));
    expect(await acknowledged(raw, 9101)).toEqual([601]);

    // RFC 7252 section 4.2: the device sends them again with the same message ids; they are not
    // taken for duplicates of messages already answered. The store works again.
    vi.restoreAllMocks();
    raw.send(second);
    raw.send(third);
    await raw.waitFor((datagram) => datagram.message?.type === 'ACK' && datagram.message.messageId === 603);
    expect((await acknowledged(raw, 9102)).sort()).toEqual([601, 602, 603]);
    expect(await storedValues(harness)).toEqual(['31', '32', '33']);
  });
});
