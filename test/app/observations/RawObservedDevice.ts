/**
 * The device-management stack with a raw CoAP device registered on loopback, for the tests that play a
 * device's Observe answers and notifications byte by byte (RFC 7641): the Observe of /3303/0/5700 is
 * requested through the application API and answered by the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import type { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { registerRawDevice } from '../../support/RawCoapPeer.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import { operationSpec as spec } from '../../support/TestOperations.ts';
import type { Harness } from '../operations/DeviceManagementHarness.ts';
import { startHarness } from '../operations/DeviceManagementHarness.ts';

/** The harness on a temp dir and the raw device `endpoint` registered with it (text/plain, /3303/0); their cleanups are pushed onto `cleanups`. */
export async function startWithRawDevice(endpoint: string, cleanups: Array<() => Promise<void> | void>): Promise<{ harness: Harness; raw: RawCoapPeer }> {
  const dir = mkdtempSync(join(tmpdir(), `hub-${endpoint}-`));
  const harness = await startHarness(dir, { clock: systemClock });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => harness.close());
  await importTestDevice(harness.store, endpoint);
  const raw = await registerRawDevice(harness.coap.local, endpoint, '</>;rt="oma.lwm2m";ct=0,</3303/0>');
  cleanups.push(() => raw.close());
  return { harness, raw };
}

/** Requests an Observe of /3303/0/5700 and has the raw device accept it (Observe 1) with `value` in text/plain; returns its token. */
export async function answerObserve(harness: Harness, raw: RawCoapPeer, endpoint: string, value: string): Promise<Uint8Array> {
  await harness.api.requestOperation(endpoint, spec('observe', ['/3303/0/5700']), 'user:test', 'observe');
  const get = (await raw.waitFor((datagram) => datagram.message?.code === '0.01')).message;
  if (!get) throw new Error('no Observe request');
  raw.send({ type: 'ACK', code: '2.05', messageId: get.messageId, token: get.token, options: textNotificationOptions(1), payload: new TextEncoder().encode(value) });
  return get.token;
}

/** A confirmable notification of `value` in text/plain, with Observe `sequence` (RFC 7641 section 3.4). */
export function textNotification(token: Uint8Array, messageId: number, sequence: number, value: string): CoapMessage {
  return { type: 'CON', code: '2.05', messageId, token, options: textNotificationOptions(sequence), payload: new TextEncoder().encode(value) };
}

function textNotificationOptions(sequence: number): CoapMessage['options'] {
  return [{ number: 6, value: Uint8Array.of(sequence) }, { number: 12, value: new Uint8Array(0) }];
}
