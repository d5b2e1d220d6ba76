/**
 * The LwM2M server's plain and DTLS endpoints as one: requests of both reach the one handler, which can
 * tell by the arrival socket (not the source address) which came over DTLS, and a request to a device
 * leaves from the endpoint the device talks to. The DTLS peer is node-dtls-client, the plain one a UDP
 * socket.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { generate, parse } from 'coap-packet';
import { dtls } from 'node-dtls-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelRoutingCoapEndpoint } from '../../../src/adapters/coap/ChannelRoutingCoapEndpoint.ts';
import type { CoapPeer } from '../../../src/adapters/coap/CoapEndpoint.ts';
import { DatagramCoapEndpoint, openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { DtlsDatagramTransport } from '../../../src/adapters/dtls/DtlsDatagramTransport.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { MinimalPskClient } from '../dtls/support/MinimalPskClient.ts';
import { waitFor } from '../dtls/support/waitFor.ts';

const KEY = '0123456789abcdef';
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Seen {
  readonly peer: CoapPeer;
  readonly secure: boolean;
}

async function routing(): Promise<{ endpoint: ChannelRoutingCoapEndpoint; plainPort: number; securePort: number; seen: Seen[] }> {
  const parameters = { ackTimeoutMs: 200, maxRetransmit: 1 };
  const plain = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger: silentLogger(), parameters });
  const transport = await DtlsDatagramTransport.open({ host: '127.0.0.1', port: 0, logger: silentLogger(), pskLookup: (identity) => Promise.resolve(identity.toString() === 'dev' ? Buffer.from(KEY) : undefined) });
  const secure = new DatagramCoapEndpoint(transport, { logger: silentLogger(), parameters });
  const endpoint = new ChannelRoutingCoapEndpoint(plain, secure, (peer) => transport.sessionOf(peer) !== undefined);
  cleanups.push(() => endpoint.close());
  const seen: Seen[] = [];
  endpoint.handle((request) => {
    seen.push({ peer: request.peer, secure: endpoint.cameSecure(request) });
    return { code: '2.04' };
  });
  return { endpoint, plainPort: plain.local.port, securePort: transport.local.port, seen };
}

/** A device that answers every confirmable request with a piggybacked 2.05 naming its channel. */
function answer(send: (bytes: Buffer) => void, channel: string): (bytes: Buffer) => void {
  return (bytes) => {
    const message = parse(bytes);
    if (message.code === '0.01') send(generate({ messageId: message.messageId, token: message.token, code: '2.05', ack: true, payload: Buffer.from(channel) }));
  };
}

const post = (messageId: number): Buffer => generate({ messageId, token: Buffer.from([messageId & 0xff]), code: 'POST', options: [{ name: 'Uri-Path', value: Buffer.from('rd') }] });

describe('ChannelRoutingCoapEndpoint', () => {
  it('tells DTLS requests from plain ones and sends each device its requests over its own channel', async () => {
    const { endpoint, plainPort, securePort, seen } = await routing();

    const device = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port: securePort, psk: { dev: KEY }, timeout: 3000 });
    cleanups.push(() => device.close());
    await new Promise<void>((resolve, reject) => {
      device.once('connected', () => resolve());
      device.once('error', reject);
    });
    device.on('message', answer((bytes) => device.send(bytes), 'dtls'));
    device.send(post(1));

    const udp: Socket = createSocket('udp4');
    cleanups.push(() => new Promise<void>((resolve) => udp.close(() => resolve())));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    udp.on('message', answer((bytes) => udp.send(bytes, plainPort, '127.0.0.1'), 'plain'));
    udp.send(post(2), plainPort, '127.0.0.1');

    await waitFor(() => seen.length === 2, 'both requests');
    const secureSeen = seen.find((entry) => entry.secure);
    const plainSeen = seen.find((entry) => !entry.secure);
    if (secureSeen === undefined || plainSeen === undefined) throw new Error(`expected one request per channel: ${JSON.stringify(seen)}`);
    expect(plainSeen.peer.port).toBe(udp.address().port);

    const toSecure = await endpoint.request(secureSeen.peer, { method: 'GET', path: ['3', '0', '0'] });
    expect(Buffer.from(toSecure.payload).toString()).toBe('dtls');
    const toPlain = await endpoint.request(plainSeen.peer, { method: 'GET', path: ['3', '0', '0'] });
    expect(Buffer.from(toPlain.payload).toString()).toBe('plain');
  });

  it('refuses a plain request from the address and port of a DTLS session (a forged source)', async () => {
    const { plainPort, securePort, seen } = await routing();
    // The DTLS device's socket goes away without close_notify, so that its session stays; a plain
    // socket then takes its port, as a forger of its address would.
    const device = await MinimalPskClient.connect(securePort, 'dev', KEY);
    const port = device.localPort;
    await device.close();
    const forger: Socket = createSocket('udp4');
    cleanups.push(() => new Promise<void>((resolve) => forger.close(() => resolve())));
    await new Promise<void>((resolve) => forger.bind(port, '127.0.0.1', () => resolve()));
    const replies: Buffer[] = [];
    forger.on('message', (bytes) => replies.push(bytes));
    forger.send(post(3), plainPort, '127.0.0.1');
    await waitFor(() => replies.length === 1, 'the reply');
    expect(parse(replies[0] ?? Buffer.alloc(0)).code).toBe('4.03');
    expect(seen).toEqual([]);
  });
});
