/**
 * The simulated device's CoAP side (bench/fleet/DevicePort.ts) against a recording channel: the
 * server's Observe establishes and cancels an observation (RFC 7641 sections 3.2 and 3.6), a Reset to
 * a confirmable notification ends it, reads are answered from the object tree, a request waits for
 * its separate response after an empty ACK (RFC 7252 section 5.2.2), an unanswered one is sent
 * MAX_RETRANSMIT more times and then given up (section 4.2), and a sleeping queue-mode device drops
 * requests. Time is passed in: no clock, no timers.
 */
import { describe, expect, it } from 'vitest';
import type { CoapMessage, CoapOption } from '../../src/adapters/coap/CoapMessage.ts';
import { OptionNumber, stringOption, stringOptions, uintOption, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../../src/adapters/coap/CoapMessageCodec.ts';
import { defaultTransmissionParameters } from '../../src/adapters/coap/TransmissionParameters.ts';
import { DevicePort } from '../../bench/fleet/DevicePort.ts';
import type { Observation, PortEvents } from '../../bench/fleet/DevicePort.ts';
import { SimulatedObjects } from '../../bench/fleet/SimulatedObjects.ts';

interface Harness {
  readonly port: DevicePort;
  readonly sent: CoapMessage[];
  readonly events: string[];
  readonly observations: Observation[];
}

function harness(awakeMs?: number): Harness {
  const sent: CoapMessage[] = [];
  const events: string[] = [];
  const observations: Observation[] = [];
  const portEvents: PortEvents = {
    observed: (observation) => observations.push(observation),
    cancelled: (observation) => events.push(`cancelled ${observation.path}`),
    notificationAnswered: (_sentAt, reset) => events.push(reset ? 'reset' : 'acknowledged'),
    notificationTimedOut: () => events.push('timed out'),
    requestWhileAsleep: () => events.push('asleep'),
    requestServed: (kind) => events.push(kind),
  };
  const channel = {
    send: (bytes: Uint8Array) => {
      const decoded = decodeCoapMessage(bytes);
      if (!decoded.ok) throw new Error('the port sent a malformed message');
      sent.push(decoded.message);
    },
    close: () => Promise.resolve(),
  };
  return { port: new DevicePort(channel, new SimulatedObjects('serial-1', 300, 'U'), portEvents, awakeMs, 100), sent, events, observations };
}

function serverRequest(messageId: number, token: number, path: string, options: readonly CoapOption[] = [], code = '0.01'): Uint8Array {
  const segments = path.split('/').filter((segment) => segment !== '').map((segment) => stringOption(OptionNumber.UriPath, segment));
  return encodeCoapMessage({ type: 'CON', code, messageId, token: Uint8Array.of(token), options: [...options, ...segments].sort((a, b) => a.number - b.number), payload: new Uint8Array(0) });
}

const text = (message: CoapMessage | undefined): string => new TextDecoder().decode(message?.payload);
const later = (): number => performance.now() + 10 * 60_000;

describe('a simulated device port', () => {
  it('establishes an observation, notifies on its token with a growing Observe number, and ends it on a cancel', () => {
    const { port, sent, events, observations } = harness();
    port.receive(serverRequest(7, 0xa1, '/3303/0/5700', [uintOptionOf(OptionNumber.Observe, 0)]));
    expect(sent[0]).toMatchObject({ type: 'ACK', code: '2.05', messageId: 7, token: Uint8Array.of(0xa1) });
    expect(uintOption(sent[0]?.options ?? [], OptionNumber.Observe)).toBe(1);
    expect(text(sent[0])).toBe('21.5');
    const [observation] = observations;
    if (observation === undefined) throw new Error('no observation');
    port.notify(observation, new TextEncoder().encode('42'), 0, false, 0);
    expect(sent[1]).toMatchObject({ type: 'NON', code: '2.05', token: Uint8Array.of(0xa1) });
    expect(uintOption(sent[1]?.options ?? [], OptionNumber.Observe)).toBe(2);
    port.receive(serverRequest(8, 0xa1, '/3303/0/5700', [uintOptionOf(OptionNumber.Observe, 1)]));
    expect(events).toEqual(['observe', 'cancelled /3303/0/5700', 'cancel']);
    expect(port.observations.size).toBe(0);
  });

  it('ends an observation whose confirmable notification is answered by a Reset, and counts an ACK', () => {
    const { port, sent, events, observations } = harness();
    port.receive(serverRequest(7, 0xb2, '/3303/0/5700', [uintOptionOf(OptionNumber.Observe, 0)]));
    const observation = observations[0] as Observation;
    port.notify(observation, new TextEncoder().encode('1'), 0, true, 0);
    const first = sent.at(-1) as CoapMessage;
    expect(first.type).toBe('CON');
    port.receive(encodeCoapMessage({ type: 'ACK', code: '0.00', messageId: first.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) }));
    port.notify(observation, new TextEncoder().encode('2'), 0, true, 0);
    port.receive(encodeCoapMessage({ type: 'RST', code: '0.00', messageId: (sent.at(-1) as CoapMessage).messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) }));
    expect(events).toEqual(['observe', 'acknowledged', 'cancelled /3303/0/5700', 'reset']);
    expect(port.pendingCount).toBe(0);
  });

  it('answers reads from the object tree: text/plain for a resource, SenML JSON for an instance, 4.04 and 4.05 otherwise', () => {
    const { port, sent } = harness();
    port.receive(serverRequest(1, 1, '/3/0/2'));
    port.receive(serverRequest(2, 2, '/3/0'));
    port.receive(serverRequest(3, 3, '/5/0'));
    port.receive(serverRequest(4, 4, '/3/0/4', [], '0.02'));
    expect(sent.map((message) => [message.messageId, message.code, uintOption(message.options, OptionNumber.ContentFormat)])).toEqual([
      [1, '2.05', 0],
      [2, '2.05', 110],
      [3, '4.04', undefined],
      [4, '4.05', undefined],
    ]);
    expect(text(sent[0])).toBe('serial-1');
    expect(JSON.parse(text(sent[1]))).toContainEqual({ n: '/3/0/0', vs: 'lwm2m-hub fleet simulator' });
  });

  it('waits for the separate response after an empty ACK, and answers that response with an ACK', async () => {
    const { port, sent } = harness();
    const outcome = port.request('0.02', [stringOption(OptionNumber.UriPath, 'rd')], new Uint8Array(0));
    const request = sent[0] as CoapMessage;
    port.receive(encodeCoapMessage({ type: 'ACK', code: '0.00', messageId: request.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) }));
    port.retransmitDue(performance.now() + defaultTransmissionParameters.ackTimeoutMs * 10);
    expect(sent).toHaveLength(1);
    port.receive(encodeCoapMessage({ type: 'CON', code: '2.01', messageId: 900, token: request.token, options: [stringOption(OptionNumber.LocationPath, 'rd'), stringOption(OptionNumber.LocationPath, 'x1')], payload: new Uint8Array(0) }));
    expect(await outcome).toEqual({ code: '2.01', locationPath: ['rd', 'x1'], retransmissions: 0 });
    expect(sent[1]).toMatchObject({ type: 'ACK', code: '0.00', messageId: 900 });
    expect(port.pendingCount).toBe(0);
  });

  it('gives up a request acknowledged by an empty ACK whose response never comes, without sending it again', async () => {
    const { port, sent } = harness();
    const outcome = port.request('0.02', [stringOption(OptionNumber.UriPath, 'rd')], new Uint8Array(0));
    port.receive(encodeCoapMessage({ type: 'ACK', code: '0.00', messageId: (sent[0] as CoapMessage).messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) }));
    port.retransmitDue(later());
    expect(await outcome).toBeUndefined();
    expect(sent).toHaveLength(1);
  });

  it('sends an unanswered request MAX_RETRANSMIT more times, then gives it up', async () => {
    const { port, sent } = harness();
    const outcome = port.request('0.02', [stringOption(OptionNumber.UriPath, 'rd')], new Uint8Array(0));
    for (let round = 0; round < 10; round++) port.retransmitDue(later() * (round + 1));
    expect(await outcome).toBeUndefined();
    expect(sent).toHaveLength(1 + defaultTransmissionParameters.maxRetransmit);
    expect(new Set(sent.map((message) => message.messageId)).size).toBe(1);
    expect(stringOptions(sent[0]?.options ?? [], OptionNumber.UriPath)).toEqual(['rd']);
  });

  it('in queue mode, drops the server requests that arrive after its awake time', () => {
    const { port, sent, events } = harness(0);
    port.receive(serverRequest(1, 1, '/3/0/2'));
    expect(sent).toHaveLength(0);
    expect(events).toEqual(['asleep']);
  });
});
