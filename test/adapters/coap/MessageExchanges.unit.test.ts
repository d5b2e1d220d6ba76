import { describe, expect, it } from 'vitest';
import { MessageExchanges } from '../../../src/adapters/coap/MessageExchanges.ts';
import { CoapResetError, CoapTimeoutError } from '../../../src/adapters/coap/CoapEndpoint.ts';
import type { CoapPeer } from '../../../src/adapters/coap/CoapEndpoint.ts';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage } from '../../../src/adapters/coap/CoapMessageCodec.ts';
import type { TransmissionParameters } from '../../../src/adapters/coap/TransmissionParameters.ts';
import { defaultTransmissionParameters, exchangeLifetimeMs, nonLifetimeMs } from '../../../src/adapters/coap/TransmissionParameters.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { ManualTimers, fixedRandomness } from '../../support/ManualTimers.ts';

const device: CoapPeer = { address: '192.0.2.7', port: 5683 };
const other: CoapPeer = { address: '192.0.2.8', port: 5683 };

interface Sent {
  readonly at: number;
  readonly peer: CoapPeer;
  readonly message: CoapMessage;
}

function exchanges(fraction: number, parameters: TransmissionParameters = defaultTransmissionParameters, firstByte = 0): { readonly layer: MessageExchanges; readonly timers: ManualTimers; readonly sent: Sent[] } {
  const timers = new ManualTimers();
  const sent: Sent[] = [];
  const layer = new MessageExchanges({
    parameters,
    send: (bytes, peer) => {
      const decoded = decodeCoapMessage(bytes);
      if (!decoded.ok) throw new Error(`sent an unreadable message: ${decoded.error.reason}`);
      sent.push({ at: timers.now(), peer, message: decoded.message });
    },
    timers,
    randomness: fixedRandomness(fraction, firstByte),
    logger: silentLogger(),
    maxRemembered: 100,
  });
  return { layer, timers, sent };
}

const get = (token: Uint8Array): Omit<CoapMessage, 'messageId'> => ({ type: 'CON', code: '0.01', token, options: [], payload: new Uint8Array(0) });
const empty = (type: 'ACK' | 'RST', messageId: number): CoapMessage => ({ type, code: '0.00', messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });

/** Whether a promise has settled, after the microtasks that settle it have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => { done = true; }, () => { done = true; });
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('MessageExchanges retransmission (RFC 7252 section 4.2)', () => {
  it('sends a confirmable request 1 + MAX_RETRANSMIT times, doubling a random initial timeout, then times out', async () => {
    // ACK_TIMEOUT 2 s, ACK_RANDOM_FACTOR 1.5, MAX_RETRANSMIT 4; halfway between 2 and 3 s: 2.5 s.
    const { layer, timers, sent } = exchanges(0.5);
    const outcome = layer.request(device, get(Uint8Array.of(1)), undefined).catch((error: unknown) => error);
    timers.advance(77_499);
    expect(await settled(outcome)).toBe(false);
    expect(sent.map((s) => s.at)).toEqual([0, 2_500, 7_500, 17_500, 37_500]);
    expect(new Set(sent.map((s) => s.message.messageId)).size).toBe(1);
    timers.advance(1);
    expect(await outcome).toBeInstanceOf(CoapTimeoutError);
    expect(sent).toHaveLength(5);
    expect(layer.retransmissions).toBe(4);
  });

  it('draws the initial timeout between ACK_TIMEOUT and ACK_TIMEOUT * ACK_RANDOM_FACTOR', () => {
    for (const [fraction, initial] of [[0, 2_000], [0.25, 2_250], [0.999, 2_999]] as const) {
      const { layer, timers, sent } = exchanges(fraction);
      layer.request(device, get(Uint8Array.of(1)), undefined).catch(() => undefined);
      timers.advance(initial - 1);
      expect(sent).toHaveLength(1);
      timers.advance(1);
      expect(sent.map((s) => s.at)).toEqual([0, initial]);
      layer.close();
    }
  });

  it('stops retransmitting on an empty ACK from the peer, and then waits for the separate response as long as the response timeout', async () => {
    const { layer, timers, sent } = exchanges(0);
    const outcome = layer.request(device, get(Uint8Array.of(2)), undefined).catch((error: unknown) => error);
    const id = sent[0]?.message.messageId ?? -1;
    timers.advance(1_000);
    // RFC 7252 section 4.4: an ACK matches by message id AND peer; another peer's stops nothing.
    expect(layer.onAckOrReset(empty('ACK', id), other)).toBe(false);
    timers.advance(1_000);
    expect(sent).toHaveLength(2);
    expect(layer.onAckOrReset(empty('ACK', id), device)).toBe(true);
    timers.advance(defaultTransmissionParameters.responseTimeoutMs - 1);
    expect(sent).toHaveLength(2);
    expect(await settled(outcome)).toBe(false);
    timers.advance(1);
    expect(await outcome).toBeInstanceOf(CoapTimeoutError);
  });

  it('matches a separate response by token and peer, and rejects on an RST', async () => {
    const { layer, sent } = exchanges(0);
    const answered = layer.request(device, get(Uint8Array.of(3)), undefined);
    const first = sent[0]?.message;
    if (!first) throw new Error('nothing sent');
    layer.onAckOrReset(empty('ACK', first.messageId), device);
    expect(layer.awaitingResponse(other, first.token)).toBeUndefined();
    const response: CoapMessage = { type: 'CON', code: '2.05', messageId: 99, token: first.token, options: [], payload: new Uint8Array(0) };
    layer.awaitingResponse(device, first.token)?.resolve(response);
    expect(await answered).toBe(response);

    const reset = layer.request(device, get(Uint8Array.of(4)), undefined).catch((error: unknown) => error);
    layer.onAckOrReset(empty('RST', sent[1]?.message.messageId ?? -1), device);
    expect(await reset).toBeInstanceOf(CoapResetError);
  });

  it('retransmits a separate confirmable response until the peer acknowledges it, and gives up after MAX_RETRANSMIT', () => {
    const { layer, timers, sent } = exchanges(0);
    const bytes = Uint8Array.of(0x60 | 0x00, 0x45, 0x01, 0x02); // CON 2.05, message id 0x0102, no token
    layer.sendSeparate(device, 0x0102, bytes);
    timers.advance(2_000 + 4_000);
    expect(sent.map((s) => s.at)).toEqual([0, 2_000, 6_000]);
    expect(layer.onAckOrReset(empty('ACK', 0x0102), device)).toBe(true);
    timers.advance(120_000);
    expect(sent).toHaveLength(3);

    layer.sendSeparate(device, 0x0103, bytes);
    timers.advance(120_000);
    expect(sent).toHaveLength(3 + 5);
    expect(layer.onAckOrReset(empty('ACK', 0x0103), device)).toBe(false);
  });
});

describe('MessageExchanges duplicate detection (RFC 7252 section 4.5)', () => {
  it('remembers a confirmable message for EXCHANGE_LIFETIME and a non-confirmable one for NON_LIFETIME', () => {
    // RFC 7252 section 4.8.2 with the default parameters: 247 s and 145 s.
    expect(exchangeLifetimeMs(defaultTransmissionParameters)).toBe(247_000);
    expect(nonLifetimeMs(defaultTransmissionParameters)).toBe(145_000);
    for (const [type, lifetime] of [['CON', 247_000], ['NON', 145_000]] as const) {
      const { layer, timers } = exchanges(0);
      layer.remember(device, { type, messageId: 1 }).reply = Uint8Array.of(7);
      expect(layer.recall(other, 1)).toBeUndefined();
      timers.advance(lifetime - 1);
      layer.sweep(timers.now());
      expect(Array.from(layer.recall(device, 1)?.reply ?? [])).toEqual([7]);
      timers.advance(1);
      layer.sweep(timers.now());
      expect(layer.recall(device, 1)).toBeUndefined();
    }
  });

  it('forgets a non-confirmable message after NON_LIFETIME even when an older confirmable one is still remembered', () => {
    const { layer, timers } = exchanges(0);
    layer.remember(device, { type: 'CON', messageId: 1 });
    timers.advance(1_000);
    layer.remember(device, { type: 'NON', messageId: 2 });
    timers.advance(145_000);
    layer.sweep(timers.now());
    // The NON id is new again (a new message from the peer is handled), the CON id still a duplicate.
    expect(layer.recall(device, 2)).toBeUndefined();
    expect(layer.recall(device, 1)).toBeDefined();
    timers.advance(247_000 - 146_000 - 1);
    layer.sweep(timers.now());
    expect(layer.recall(device, 1)).toBeDefined();
    timers.advance(1);
    layer.sweep(timers.now());
    expect(layer.recall(device, 1)).toBeUndefined();
  });

  it('keeps at most maxRemembered message ids, dropping the one that would expire first', () => {
    const { layer } = exchanges(0);
    layer.remember(device, { type: 'CON', messageId: 0 });
    for (let id = 1; id < 100; id += 1) layer.remember(device, { type: 'NON', messageId: id });
    layer.remember(device, { type: 'CON', messageId: 100 });
    // Full at 100: the first NON (expiring at 145 s) goes, not the older CON (expiring at 247 s).
    expect(layer.recall(device, 1)).toBeUndefined();
    expect(layer.recall(device, 0)).toBeDefined();
    expect(layer.recall(device, 2)).toBeDefined();
    expect(layer.recall(device, 100)).toBeDefined();
  });
});

describe('MessageExchanges message ids and tokens', () => {
  it('starts message ids at a random one and counts up, wrapping at 16 bits (RFC 7252 section 4.4)', () => {
    const { layer } = exchanges(0, defaultTransmissionParameters, 0xff);
    // The random start is 0xff00 (bytes 0xff, 0x00): ids follow it.
    expect([layer.allocateMessageId(), layer.allocateMessageId()]).toEqual([0xff01, 0xff02]);
    for (let id = 0xff03; id <= 0xffff; id += 1) layer.allocateMessageId();
    expect(layer.allocateMessageId()).toBe(0);
    expect(layer.newToken()).toHaveLength(8);
  });
});
