import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createSecureContext } from 'node:tls';
import pino from 'pino';
import { defaultStreamLimits, openTcpCoapEndpoint, openTlsCoapEndpoint } from '../../../src/adapters/coap/StreamCoapEndpoint.ts';
import type { StreamCoapEndpoint, StreamLimits, TlsHandshakeFailure } from '../../../src/adapters/coap/StreamCoapEndpoint.ts';
import { CoapTimeoutError } from '../../../src/adapters/coap/CoapEndpoint.ts';
import type { CoapPeer, IncomingCoapRequest } from '../../../src/adapters/coap/CoapEndpoint.ts';
import { OptionNumber, optionValues, stringOption, uintOption, uintOptionOf } from '../../../src/adapters/coap/CoapMessage.ts';
import { decodeBlockOption, encodeBlockOption } from '../../../src/adapters/coap/BlockOption.ts';
import { CoapStreamReader, SignalCode, SignalOption, encodeCoapStreamMessage } from '../../../src/adapters/coap/CoapStreamCodec.ts';
import type { CoapStreamMessage } from '../../../src/adapters/coap/CoapStreamCodec.ts';
import { RawCoapStreamPeer } from '../../support/RawCoapStreamPeer.ts';
import { coapClient, libcoapAvailable } from '../../support/LibcoapClient.ts';
import { ManualTimers } from '../../support/ManualTimers.ts';

const logger = pino({ level: 'silent' });
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const psk = { identity: 'tls-device-1', key: Buffer.from('0123456789abcdef') };
const pskCiphers = 'PSK-AES128-CCM8:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256:TLS_AES_128_GCM_SHA256';

const opened: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

interface Served {
  readonly endpoint: StreamCoapEndpoint;
  readonly target: CoapPeer;
  readonly requests: Array<{ readonly request: IncomingCoapRequest; readonly pskIdentity: string | null }>;
}

/** An endpoint whose handler echoes the path and body length, recording each request (and the TLS identity it came with). */
function serving(endpoint: StreamCoapEndpoint, body: (request: IncomingCoapRequest) => Uint8Array = (request) => text(`${request.path.join('/')}:${request.payload.length}`)): Served {
  opened.push(endpoint);
  const requests: Served['requests'] = [];
  endpoint.handle((request) => {
    requests.push({ request, pskIdentity: endpoint.pskIdentityOf(request.peer) });
    return { code: '2.05', contentFormat: 0, payload: body(request) };
  });
  return { endpoint, target: { address: '127.0.0.1', port: endpoint.local.port }, requests };
}

async function tcp(limits: Partial<StreamLimits> = {}, body?: (request: IncomingCoapRequest) => Uint8Array): Promise<Served> {
  return serving(await openTcpCoapEndpoint({ host: '127.0.0.1', port: 0, logger, limits }), body);
}

async function tls(failures: TlsHandshakeFailure[] = []): Promise<Served> {
  const endpoint = await openTlsCoapEndpoint({
    host: '127.0.0.1',
    port: 0,
    logger,
    secureContext: createSecureContext({ ciphers: pskCiphers, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }),
    pskLookup: (identity) => (identity === psk.identity ? psk.key : null),
    onHandshakeFailed: (failure) => failures.push(failure),
  });
  return serving(endpoint);
}

async function peer(served: Served, maxMessageSize?: number): Promise<RawCoapStreamPeer> {
  const connected = await RawCoapStreamPeer.connectWithCsm(served.target, maxMessageSize);
  opened.push(connected);
  return connected;
}

describe('StreamCoapEndpoint with libcoap as the peer', () => {
  it.skipIf(!libcoapAvailable())('answers coap-client-notls over coap+tcp', async () => {
    const served = await tcp();
    const reply = await coapClient([`coap+tcp://127.0.0.1:${served.target.port}/rd/x`]);
    expect(reply).toMatchObject({ code: '2.05', contentFormat: 'text/plain' });
    expect(served.requests.map(({ request, pskIdentity }) => ({ path: request.path, pskIdentity }))).toEqual([{ path: ['rd', 'x'], pskIdentity: null }]);
  });

  for (const client of ['coap-client-openssl', 'coap-client-gnutls']) {
    it.skipIf(!libcoapAvailable(client))(`answers ${client} over coaps+tcp with TLS-PSK, knowing its identity; a wrong key is refused and reported`, async () => {
      const failures: TlsHandshakeFailure[] = [];
      const served = await tls(failures);
      const uri = `coaps+tcp://127.0.0.1:${served.target.port}/rd`;
      const reply = await coapClient(['-u', psk.identity, '-k', psk.key.toString(), uri], client);
      expect(reply.code).toBe('2.05');
      expect(served.requests.map(({ pskIdentity }) => pskIdentity)).toEqual([psk.identity]);

      await expect(coapClient(['-u', psk.identity, '-k', 'not-the-key-at-all', uri], client)).rejects.toThrow();
      await expect(coapClient(['-u', 'nobody', '-k', psk.key.toString(), uri], client)).rejects.toThrow();
      await expect.poll(() => failures.length).toBe(2);
      expect(failures.map(({ pskIdentity, reason }) => ({ pskIdentity, reason: reason.split(':')[0] }))).toEqual([
        { pskIdentity: psk.identity, reason: 'handshake failed after the PSK identity (wrong PSK?)' },
        { pskIdentity: 'nobody', reason: 'unknown PSK identity' },
      ]);
      expect(served.requests).toHaveLength(1);
    });
  }
});

describe('StreamCoapEndpoint with OpenSSL as the TLS peer', () => {
  // libcoap's clients negotiate TLS 1.2 for a PSK; s_client shows that TLS 1.3 with a PSK works too, with the SHA-256 suites.
  it('serves TLS 1.3 with a PSK (TLS_AES_128_GCM_SHA256) to openssl s_client, and refuses a suite of another hash', async () => {
    const served = await tls();
    const exchange = async (suite: string): Promise<{ messages: CoapStreamMessage[]; output: string }> => {
      const args = ['s_client', '-connect', `127.0.0.1:${served.target.port}`, '-tls1_3', '-ciphersuites', suite, '-psk_identity', psk.identity, '-psk', psk.key.toString('hex'), '-quiet'];
      const tool = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const reader = new CoapStreamReader(1 << 16);
      const messages: CoapStreamMessage[] = [];
      let output = '';
      tool.stdout.on('data', (chunk: Buffer) => {
        for (const item of reader.push(new Uint8Array(chunk))) if (item.kind === 'message') messages.push(item.message);
      });
      tool.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const csm = { code: SignalCode.Csm, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) };
      tool.stdin.write(Buffer.concat([encodeCoapStreamMessage(csm), encodeCoapStreamMessage({ code: '0.01', token: Uint8Array.of(5), options: [stringOption(OptionNumber.UriPath, 'rd')], payload: new Uint8Array(0) })]));
      try {
        await expect.poll(() => messages.some((m) => m.token[0] === 5) || tool.exitCode !== null, { timeout: 5_000 }).toBe(true);
        return { messages, output };
      } finally {
        tool.kill();
      }
    };
    const good = await exchange('TLS_AES_128_GCM_SHA256');
    expect(good.messages.find((m) => m.token[0] === 5)?.code).toBe('2.05');
    expect(served.requests.map(({ pskIdentity }) => pskIdentity)).toEqual([psk.identity]);
    const other = await exchange('TLS_AES_256_GCM_SHA384');
    expect(other.messages).toEqual([]);
    expect(other.output).toMatch(/handshake failure/);
  });
});

describe('StreamCoapEndpoint signalling (RFC 8323 section 5)', () => {
  it('sends its CSM first, with its Max-Message-Size and Block-Wise-Transfer, and answers a Ping with a Pong of the same token', async () => {
    const served = await tcp({ maxMessageSize: 4096 });
    const client = await peer(served);
    const csm = await client.waitFor((m) => m.code === SignalCode.Csm);
    expect(client.received[0]).toBe(csm);
    expect(uintOption(csm.options, SignalOption.MaxMessageSize)).toBe(4096);
    expect(optionValues(csm.options, SignalOption.BlockWiseTransfer)).toEqual([new Uint8Array(0)]);

    client.send({ code: SignalCode.Ping, token: Uint8Array.of(0xbe, 0xef), options: [], payload: new Uint8Array(0) });
    const pong = await client.waitFor((m) => m.code === SignalCode.Pong);
    expect([...pong.token]).toEqual([0xbe, 0xef]);
  });

  it('aborts a connection whose stream is malformed, saying why, and closes it', async () => {
    const served = await tcp();
    const client = await peer(served);
    client.sendBytes(Uint8Array.of(0x0f, 0x01)); // TKL 15 is reserved
    const abort = await client.waitFor((m) => m.code === SignalCode.Abort);
    expect(new TextDecoder().decode(abort.payload)).toContain('token length 15 is reserved');
    await client.closed;
    expect(served.endpoint.connectionCount).toBe(0);
  });

  it('aborts a peer whose first message is not a CSM, and one whose CSM has an unknown critical option', async () => {
    const served = await tcp();
    const silent = await RawCoapStreamPeer.connect(served.target);
    opened.push(silent);
    silent.send({ code: '0.01', token: Uint8Array.of(1), options: [stringOption(OptionNumber.UriPath, 'rd')], payload: new Uint8Array(0) });
    const first = await silent.waitFor((m) => m.code === SignalCode.Abort);
    expect(new TextDecoder().decode(first.payload)).toContain('first message must be a CSM');
    await silent.closed;

    const odd = await RawCoapStreamPeer.connect(served.target);
    opened.push(odd);
    odd.send({ code: SignalCode.Csm, token: new Uint8Array(0), options: [{ number: 9, value: new Uint8Array(0) }], payload: new Uint8Array(0) });
    const second = await odd.waitFor((m) => m.code === SignalCode.Abort);
    expect(uintOption(second.options, SignalOption.BadCsmOption)).toBe(9);
    await odd.closed;
    expect(served.requests).toHaveLength(0);
  });

  it('refuses a request over its Max-Message-Size with 4.13 without reading it, and serves the next one', async () => {
    const served = await tcp({ maxMessageSize: 1152 });
    const client = await peer(served);
    client.send({ code: '0.02', token: Uint8Array.of(1), options: [stringOption(OptionNumber.UriPath, 'rd')], payload: new Uint8Array(5000) });
    client.send({ code: '0.01', token: Uint8Array.of(2), options: [stringOption(OptionNumber.UriPath, 'small')], payload: new Uint8Array(0) });
    const refused = await client.waitFor((m) => m.token[0] === 1);
    expect(refused.code).toBe('4.13');
    expect(uintOption(refused.options, OptionNumber.Size1)).toBe(1152);
    const served2 = await client.waitFor((m) => m.token[0] === 2);
    expect(served2.code).toBe('2.05');
    expect(served.requests.map(({ request }) => request.path)).toEqual([['small']]);
  });

  it('closes the connection on a Release, and sends its own Release to a peer idle past the timeout', async () => {
    const served = await tcp({ idleTimeoutMs: 300 });
    const leaving = await peer(served);
    await leaving.waitFor((m) => m.code === SignalCode.Csm);
    leaving.send({ code: SignalCode.Release, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    await leaving.closed;

    const idle = await peer(served);
    await idle.waitFor((m) => m.code === SignalCode.Release, 5_000);
    await idle.closed;
    expect(served.endpoint.connectionCount).toBe(0);
  });

  it('drops a peer that sends requests and never reads the responses, once the unread bytes pass the bound', async () => {
    const served = await tcp({ maxWriteBufferBytes: 64 * 1024, maxPendingRequests: 10_000 }, () => new Uint8Array(6000));
    const client = await RawCoapStreamPeer.connectWithCsm(served.target, 1 << 20);
    opened.push(client);
    client.pauseReading();
    // 24 MB of responses: more than the loopback socket buffers hold, so the rest waits on our side.
    for (let i = 0; i < 4000; i++) client.send({ code: '0.01', token: Uint8Array.of(i & 0xff, i >> 8), options: [stringOption(OptionNumber.UriPath, 'big')], payload: new Uint8Array(0) });
    await expect.poll(() => served.endpoint.connectionCount, { timeout: 10_000 }).toBe(0);
  });

  it('answers 5.03 to requests beyond the ones it handles at once on a connection', async () => {
    const endpoint = await openTcpCoapEndpoint({ host: '127.0.0.1', port: 0, logger, limits: { maxPendingRequests: 1 } });
    opened.push(endpoint);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    endpoint.handle(async () => {
      await held;
      return { code: '2.04' };
    });
    const client = await peer({ endpoint, target: { address: '127.0.0.1', port: endpoint.local.port }, requests: [] });
    client.send({ code: '0.02', token: Uint8Array.of(1), options: [], payload: new Uint8Array(0) });
    client.send({ code: '0.02', token: Uint8Array.of(2), options: [], payload: new Uint8Array(0) });
    expect((await client.waitFor((m) => m.token[0] === 2)).code).toBe('5.03');
    release();
    expect((await client.waitFor((m) => m.token[0] === 1)).code).toBe('2.04');
  });
});

describe('StreamCoapEndpoint opening', () => {
  it('rejects with EADDRINUSE on a port another endpoint holds', async () => {
    const served = await tcp();
    await expect(openTcpCoapEndpoint({ host: '127.0.0.1', port: served.target.port, logger })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('StreamCoapEndpoint requests to the peer', () => {
  it('sends a request over the peer connection and resolves with the response of its token; a closed connection makes the peer unreachable', async () => {
    const served = await tcp();
    const client = await peer(served);
    await client.waitFor((m) => m.code === SignalCode.Csm);
    // The server knows the peer once it has connected: its address and port are the connection's.
    const device: CoapPeer = { address: '127.0.0.1', port: client.port };
    await expect.poll(() => served.endpoint.isConnected(device)).toBe(true);

    const read = served.endpoint.request(device, { method: 'GET', path: ['3', '0', '0'] });
    const sent = await client.waitFor((m) => m.code === '0.01');
    client.send({ code: '2.05', token: sent.token, options: [uintOptionOf(OptionNumber.ContentFormat, 0)], payload: text('Open Mobile Alliance') });
    await expect(read).resolves.toMatchObject({ code: '2.05', contentFormat: 0, payload: text('Open Mobile Alliance') });

    const pending = served.endpoint.request(device, { method: 'GET', path: ['3', '0', '1'] });
    await client.waitFor((m) => m.code === '0.01', 3_000, client.received.indexOf(sent) + 1);
    client.close();
    await expect(pending).rejects.toBeInstanceOf(CoapTimeoutError);
    await expect(served.endpoint.request(device, { method: 'GET', path: ['3'] })).rejects.toBeInstanceOf(CoapTimeoutError);
  });

  it('rejects a request the peer leaves unanswered once the response timeout has passed, and not before', async () => {
    const timers = new ManualTimers();
    const served = serving(await openTcpCoapEndpoint({ host: '127.0.0.1', port: 0, logger, timers }));
    const client = await peer(served);
    await client.waitFor((m) => m.code === SignalCode.Csm);
    const device: CoapPeer = { address: '127.0.0.1', port: client.port };
    await expect.poll(() => served.endpoint.isConnected(device)).toBe(true);
    let givenUp = false;
    const unanswered = served.endpoint.request(device, { method: 'GET', path: ['3', '0', '0'] }).catch((error: unknown) => {
      givenUp = true;
      return error;
    });
    await client.waitFor((m) => m.code === '0.01');
    timers.advance(defaultStreamLimits.responseTimeoutMs - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(givenUp).toBe(false);
    timers.advance(1);
    expect(await unanswered).toBeInstanceOf(CoapTimeoutError);
  });

  it('hands a response matching no request (a notification) to the unsolicited handler', async () => {
    const served = await tcp();
    const notifications: Array<{ token: number; observe: number | undefined }> = [];
    served.endpoint.handleUnsolicited((response) => {
      notifications.push({ token: response.token[0] ?? -1, observe: response.observe });
      return true;
    });
    const client = await peer(served);
    client.send({ code: '2.05', token: Uint8Array.of(9), options: [uintOptionOf(OptionNumber.Observe, 3)], payload: text('21.5') });
    await expect.poll(() => notifications).toEqual([{ token: 9, observe: 3 }]);
  });

  it('slices a response too large for the peer Max-Message-Size into Block2 blocks, and sends a large body of ours with Block1 (RFC 8323 section 6)', async () => {
    const large = new Uint8Array(3000).map((_, i) => i % 251);
    const served = await tcp({}, (request) => (request.path[0] === 'large' ? large : text(`${request.payload.length}`)));
    const client = await peer(served, 1152);
    client.send({ code: '0.01', token: Uint8Array.of(1), options: [stringOption(OptionNumber.UriPath, 'large')], payload: new Uint8Array(0) });
    const first = await client.waitFor((m) => m.token[0] === 1);
    const block = decodeBlockOption(optionValues(first.options, OptionNumber.Block2)[0] ?? new Uint8Array(0));
    expect(block).toEqual({ ok: true, block: { num: 0, more: true, size: 1024 } });
    expect(uintOption(first.options, OptionNumber.Size2)).toBe(3000);
    client.send({ code: '0.01', token: Uint8Array.of(2), options: [stringOption(OptionNumber.UriPath, 'large'), { number: OptionNumber.Block2, value: encodeBlockOption({ num: 2, more: false, size: 1024 }) }], payload: new Uint8Array(0) });
    const last = await client.waitFor((m) => m.token[0] === 2);
    expect(last.payload).toEqual(large.subarray(2048));

    const device: CoapPeer = { address: '127.0.0.1', port: client.port };
    const write = served.endpoint.request(device, { method: 'PUT', path: ['5', '0', '0'], payload: large });
    const block0 = await client.waitFor((m) => m.code === '0.03');
    expect(decodeBlockOption(optionValues(block0.options, OptionNumber.Block1)[0] ?? new Uint8Array(0))).toEqual({ ok: true, block: { num: 0, more: true, size: 1024 } });
    expect(block0.payload.length).toBe(1024);
    client.send({ code: '2.31', token: block0.token, options: [{ number: OptionNumber.Block1, value: encodeBlockOption({ num: 0, more: true, size: 1024 }) }], payload: new Uint8Array(0) });
    const from = client.received.indexOf(block0) + 1;
    const block1 = await client.waitFor((m) => m.code === '0.03', 3_000, from);
    client.send({ code: '2.31', token: block1.token, options: [{ number: OptionNumber.Block1, value: encodeBlockOption({ num: 1, more: true, size: 1024 }) }], payload: new Uint8Array(0) });
    const block2 = await client.waitFor((m) => m.code === '0.03', 3_000, client.received.indexOf(block1) + 1);
    expect(block2.payload).toEqual(large.subarray(2048));
    client.send({ code: '2.04', token: block2.token, options: [], payload: new Uint8Array(0) });
    await expect(write).resolves.toMatchObject({ code: '2.04' });
  });

  it('speaks TLS-PSK to a node:tls peer, which the endpoint knows by its identity', async () => {
    const served = await tls();
    const client = await RawCoapStreamPeer.connectWithCsm(served.target, 1152, { psk });
    opened.push(client);
    client.send({ code: '0.02', token: Uint8Array.of(4), options: [stringOption(OptionNumber.UriPath, 'rd')], payload: text('</1/0>') });
    expect((await client.waitFor((m) => m.token[0] === 4)).code).toBe('2.05');
    expect(served.requests.map(({ request, pskIdentity }) => ({ payload: request.payload.length, pskIdentity }))).toEqual([{ payload: 6, pskIdentity: psk.identity }]);
  });
});
