/**
 * The answer to an Observe is the observation's first notification (RFC 7641 sections 3.2, 3.4 and
 * 4.4): its value is recorded before any notification of the token, even when the device notifies
 * while the observation is still being recorded as established. A raw CoAP device on loopback, the
 * service's stack on a real SQLite store whose appends to the device's observation stream are held at
 * a gate: the notifications arrive while the observation is being established, every time.
 */
import { afterEach, expect, it } from 'vitest';
import { heldNotificationsLimit } from '../../../src/app/observations/ObservationManager.ts';
import { observationStream } from '../../../src/domain/observations/ObservationEvents.ts';
import type { ResourceValuesReported } from '../../../src/domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../../../src/domain/observations/ResourceValueEvents.ts';
import type { HeldAppend } from '../../support/AppendGate.ts';
import { gateAppends } from '../../support/AppendGate.ts';
import type { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { acknowledgedMessageIds } from '../../support/RawCoapPeer.ts';
import type { Harness } from '../operations/DeviceManagementHarness.ts';
import { eventually } from '../operations/DeviceManagementHarness.ts';
import { answerObserve, startWithRawDevice, textNotification as notification } from './RawObservedDevice.ts';

const endpoint = 'observe-order';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

/** The raw device has answered an Observe of /3303/0/5700 with `value`; the observation's append is held at the gate. */
async function answeredObserve(value: string): Promise<{ harness: Harness; raw: RawCoapPeer; token: Uint8Array; held: HeldAppend[] }> {
  const { harness, raw } = await startWithRawDevice(endpoint, cleanups);
  const held = gateAppends(harness.store, (stream) => stream === observationStream(endpoint));
  const token = await answerObserve(harness, raw, endpoint, value);
  await eventually(() => (held.length === 1 ? true : undefined));
  return { harness, raw, token, held };
}

async function stored(harness: Harness): Promise<Array<{ readonly text: string | undefined; readonly source: string; readonly token: string | null }>> {
  const events = await harness.events(resourceStream(endpoint));
  return events.map((event) => {
    const data = event.data as unknown as ResourceValuesReported;
    return { text: data.values.map((entry) => entry.value.text).join(','), source: data.source, token: data.observationToken };
  });
}

it('records the Observe answer\'s value before a notification the device sent while the observation was being established, and shows the newer value as the latest', async () => {
  const { harness, raw, token, held } = await answeredObserve('21.5');
  // The endpoint takes datagrams in order: once the ping is answered, the notification has been offered.
  raw.send(notification(token, 701, 3, '99'));
  expect(await acknowledgedMessageIds(raw, 9001)).toEqual([]);

  held[0]?.release();
  // A held confirmable notification is acknowledged once its value is durable.
  await raw.waitFor((datagram) => datagram.message?.type === 'ACK' && datagram.message.messageId === 701);
  const hex = Buffer.from(token).toString('hex');
  const values = await stored(harness);
  expect(values).toEqual([
    { text: '21.5', source: 'notification', token: hex },
    { text: '99', source: 'notification', token: hex },
  ]);
  const last = (await harness.events(resourceStream(endpoint))).at(-1);
  if (!last) throw new Error('no values stored');
  await harness.projector.waitFor(last.position);
  expect(harness.api.resources(endpoint, '/3303/0/5700').map((view) => view.text)).toEqual(['99']);
});

it(`holds at most ${heldNotificationsLimit} notifications while the observation is being established: the one beyond is refused unacknowledged, and stored when the device sends it again`, async () => {
  const { harness, raw, token, held } = await answeredObserve('20');
  const sent = Array.from({ length: heldNotificationsLimit + 1 }, (_, index) => notification(token, 801 + index, 3 + index, String(100 + index)));
  for (const message of sent) raw.send(message);
  expect(await acknowledgedMessageIds(raw, 9101)).toEqual([]);

  held[0]?.release();
  const lastHeld = sent[heldNotificationsLimit - 1];
  await raw.waitFor((datagram) => datagram.message?.type === 'ACK' && datagram.message.messageId === lastHeld?.messageId);
  const heldTexts = sent.slice(0, heldNotificationsLimit).map((message) => new TextDecoder().decode(message.payload));
  expect((await stored(harness)).map((value) => value.text)).toEqual(['20', ...heldTexts]);
  expect((await acknowledgedMessageIds(raw, 9102)).sort()).toEqual(sent.slice(0, heldNotificationsLimit).map((message) => message.messageId));

  // RFC 7252 section 4.2: the device sends the refused one again, with the same message id; it is stored now.
  const refused = sent[heldNotificationsLimit];
  if (!refused) throw new Error('no notification beyond the limit');
  raw.send(refused);
  await raw.waitFor((datagram) => datagram.message?.type === 'ACK' && datagram.message.messageId === refused.messageId);
  expect((await stored(harness)).map((value) => value.text)).toEqual(['20', ...heldTexts, new TextDecoder().decode(refused.payload)]);
});

it('refuses the notifications held for an observation whose establishment could not be recorded: unacknowledged, and answered RST when the device sends them again (RFC 7641 section 3.6)', async () => {
  const { harness, raw, token, held } = await answeredObserve('20');
  const observed = notification(token, 901, 3, '99');
  raw.send(observed);
  expect(await acknowledgedMessageIds(raw, 9201)).toEqual([]);
  expect(harness.management.observations.activeCount).toBe(1);

  held[0]?.fail();
  await eventually(() => (harness.management.observations.activeCount === 0 ? true : undefined));
  raw.send(observed);
  await raw.waitFor((datagram) => datagram.message?.type === 'RST' && datagram.message.messageId === observed.messageId);
  expect(await acknowledgedMessageIds(raw, 9202)).toEqual([]);
  expect(await stored(harness)).toEqual([]);
});
