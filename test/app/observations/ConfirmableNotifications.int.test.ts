/**
 * When a confirmable notification is acknowledged (RFC 7641 section 4.5, RFC 7252 section 4.2): only
 * once its value is durable in the log. A raw CoAP device on loopback, the service's stack on a real
 * SQLite store; the store's appends to the device's resource stream are held at a gate, so the test
 * decides when (and whether) they complete.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import type { ResourceValuesReported } from '../../../src/domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../../../src/domain/observations/ResourceValueEvents.ts';
import type { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { acknowledgedMessageIds as acknowledged } from '../../support/RawCoapPeer.ts';
import type { HeldAppend } from '../../support/AppendGate.ts';
import { gateAppends } from '../../support/AppendGate.ts';
import type { Harness } from '../operations/DeviceManagementHarness.ts';
import { eventually } from '../operations/DeviceManagementHarness.ts';
import { answerObserve, startWithRawDevice, textNotification } from './RawObservedDevice.ts';

const endpoint = 'con-notify';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

/** The service, a raw device observed on /3303/0/5700, and a gate on the appends to the device's resource stream. */
async function observedDevice(): Promise<{ harness: Harness; raw: RawCoapPeer; token: Uint8Array; held: HeldAppend[] }> {
  const { harness, raw } = await startWithRawDevice(endpoint, cleanups);
  const token = await answerObserve(harness, raw, endpoint, '20');
  // The observation is established once the Observe response's value is stored.
  await eventually(async () => ((await harness.events(resourceStream(endpoint))).length === 1 ? true : undefined));

  const held = gateAppends(harness.store, (stream) => stream === resourceStream(endpoint));
  return { harness, raw, token, held };
}

let observeSequence = 1;
function notification(token: Uint8Array, messageId: number, value: string): CoapMessage {
  observeSequence += 1;
  return textNotification(token, messageId, observeSequence, value);
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
