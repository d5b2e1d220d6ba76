/**
 * The CoAP endpoint of the CoAP adapter running unchanged over the DTLS transport: libcoap's clients
 * send requests up, and the endpoint sends a request down to node-dtls-client, which answers it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { generate, parse } from 'coap-packet';
import { dtls } from 'node-dtls-client';
import { DatagramCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { CoapTimeoutError } from '../../../src/adapters/coap/CoapEndpoint.ts';
import { DtlsDatagramTransport } from '../../../src/adapters/dtls/DtlsDatagramTransport.ts';
import type { DtlsSessionInfo } from '../../../src/adapters/dtls/DtlsSession.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { libcoapAvailable } from '../../support/LibcoapClient.ts';
import { waitFor } from './support/waitFor.ts';

const KEY = '0123456789abcdef';
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function coapOverDtls(): Promise<{ endpoint: DatagramCoapEndpoint; transport: DtlsDatagramTransport; sessions: DtlsSessionInfo[] }> {
  const transport = await DtlsDatagramTransport.open({
    host: '::', // dual-stack, as the service binds
    port: 0,
    logger: silentLogger(),
    pskLookup: (identity) => Promise.resolve(identity.toString().startsWith('urn:imei:') ? Buffer.from(KEY) : undefined),
  });
  const endpoint = new DatagramCoapEndpoint(transport, { logger: silentLogger(), parameters: { ackTimeoutMs: 100, maxRetransmit: 1 } });
  cleanups.push(() => endpoint.close());
  const sessions: DtlsSessionInfo[] = [];
  transport.server.on('sessionEstablished', (session) => sessions.push(session));
  endpoint.handle((request) => ({
    code: '2.05',
    payload: Buffer.from(`${request.path.join('/')} for ${transport.sessionOf(request.peer)?.pskIdentity.toString() ?? 'nobody'}`),
  }));
  return { endpoint, transport, sessions };
}

function coapClient(binary: string, uri: string, identity: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(binary, ['-m', 'get', '-k', KEY, '-u', identity, '-B', '3', uri], { timeout: 10_000 }, (_error, stdout) => resolve(stdout.trim()));
  });
}

describe('DatagramCoapEndpoint over DTLS', () => {
  it.skipIf(!libcoapAvailable('coap-client-openssl'))('answers libcoap requests over IPv4 and IPv6, knowing the PSK identity of each', async () => {
    const { transport } = await coapOverDtls();
    const port = transport.local.port;
    expect(await coapClient('coap-client-openssl', `coaps://127.0.0.1:${port}/3/0/0`, 'urn:imei:1')).toBe('3/0/0 for urn:imei:1');
    expect(await coapClient('coap-client-gnutls', `coaps://[::1]:${port}/1/0`, 'urn:imei:2')).toBe('1/0 for urn:imei:2');
  });

  it('sends a confirmable request down to a DTLS client and gets its answer', async () => {
    const { endpoint, transport, sessions } = await coapOverDtls();
    const client = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port: transport.local.port, psk: { 'urn:imei:3': KEY }, timeout: 3000 });
    cleanups.push(() => client.close());
    // The device side: answer a GET with a piggybacked 2.05 (RFC 7252 section 5.2.1).
    client.on('message', (bytes: Buffer) => {
      const request = parse(bytes);
      client.send(generate({ messageId: request.messageId, token: request.token, code: '2.05', ack: true, payload: Buffer.from('22.5') }));
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connected', () => resolve());
      client.once('error', reject);
    });
    await waitFor(() => sessions.length === 1, 'the session');
    const session = sessions[0];
    if (session === undefined) throw new Error('no session');
    expect(session.peer.address).toBe('127.0.0.1'); // dotted, although the socket is dual-stack
    const response = await endpoint.request(session.peer, { method: 'GET', path: ['3303', '0', '5700'] });
    expect(response.code).toBe('2.05');
    expect(Buffer.from(response.payload).toString()).toBe('22.5');
  });

  it('times out a request to a peer without a session', async () => {
    const { endpoint } = await coapOverDtls();
    await expect(endpoint.request({ address: '127.0.0.1', port: 9 }, { method: 'GET', path: ['1'] })).rejects.toBeInstanceOf(CoapTimeoutError);
  });
});
