import { afterEach, describe, expect, it } from 'vitest';
import { Agent, createServer } from 'coap';
import type { IncomingMessage, OutgoingMessage, Server } from 'coap';
import { openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import type { DatagramCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { CoapResetError, CoapTimeoutError } from '../../../src/adapters/coap/CoapEndpoint.ts';
import type { IncomingCoapRequest } from '../../../src/adapters/coap/CoapEndpoint.ts';
import { OptionNumber, optionValues, stringOption, stringOptions } from '../../../src/adapters/coap/CoapMessage.ts';
import { decodeBlockOption, encodeBlockOption } from '../../../src/adapters/coap/BlockOption.ts';
import type { BlockOption } from '../../../src/adapters/coap/BlockOption.ts';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { defaultTransmissionParameters, exchangeLifetimeMs } from '../../../src/adapters/coap/TransmissionParameters.ts';
import { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { ManualTimers } from '../../support/ManualTimers.ts';

const fast = { ackTimeoutMs: 40, ackRandomFactor: 1, maxRetransmit: 3, responseTimeoutMs: 500, piggybackWindowMs: 100 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function endpoint(host = '127.0.0.1', parameters: object = fast, timers?: ManualTimers): Promise<DatagramCoapEndpoint> {
  const opened = await openUdpCoapEndpoint({ host, port: 0, logger: silentLogger(), parameters, timers });
  cleanups.push(() => opened.close());
  return opened;
}

async function rawPeer(target: DatagramCoapEndpoint): Promise<RawCoapPeer> {
  const peer = await RawCoapPeer.open({ address: target.local.address, port: target.local.port });
  cleanups.push(() => peer.close());
  return peer;
}

async function nodeCoapServer(host: string, handler: (req: IncomingMessage, res: OutgoingMessage) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = (server as unknown as { _sock: { address(): { port: number } } })._sock.address();
  return { server, port: address.port };
}

function nodeCoapRequest(params: Parameters<Agent['request']>[0], agent: Agent, payload?: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = agent.request(params);
    request.on('response', resolve);
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * Pings the endpoint (an empty CON, RFC 7252 section 4.3) and waits for its RST: the endpoint has
 * then handled what the peer sent before, and the peer has received what the endpoint sent before.
 * Ping ids are from the top of the range, apart from the tests' own message ids.
 */
async function synced(peer: RawCoapPeer, ping: number): Promise<void> {
  const messageId = 0xff00 + ping;
  const from = peer.received.length;
  peer.send({ type: 'CON', code: '0.00', messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
  await peer.waitFor((d) => d.message?.type === 'RST' && d.message.messageId === messageId, 2_000, from);
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

describe('DatagramCoapEndpoint serving requests', () => {
  it('answers a node-coap client with path, query, content format and payload as sent (IPv4 and IPv6)', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const server = await endpoint(host);
      const seen: IncomingCoapRequest[] = [];
      server.handle((request) => {
        seen.push(request);
        return { code: '2.01', locationPath: ['rd', 'abc'], payload: bytes('made') };
      });
      const agent = new Agent({ type: host.includes(':') ? 'udp6' : 'udp4' });
      const response = await nodeCoapRequest(
        { hostname: host, port: server.local.port, method: 'POST', pathname: '/rd', query: 'ep=dev-1&lt=60&Q', agent, options: { 'Content-Format': 40 } },
        agent,
        Buffer.from('</1/0>'),
      );
      expect(response.code).toBe('2.01');
      expect(response.payload.toString()).toBe('made');
      expect(seen[0]?.path).toEqual(['rd']);
      expect(seen[0]?.query).toEqual(['ep=dev-1', 'lt=60', 'Q']);
      expect(seen[0]?.contentFormat).toBe(40);
      expect(text(seen[0]?.payload ?? new Uint8Array())).toBe('</1/0>');
      expect(seen[0]?.peer.address).toBe(host);
      agent.close();
    }
  });

  it('replays the stored reply to a duplicate confirmable request instead of handling it twice', async () => {
    const server = await endpoint();
    let calls = 0;
    server.handle(() => ({ code: '2.01', locationPath: ['rd', 'abc'], payload: bytes(`call ${++calls}`) }));
    const peer = await rawPeer(server);
    const request = { type: 'CON' as const, code: '0.01', messageId: 4242, token: Uint8Array.of(1, 2), options: [stringOption(OptionNumber.UriPath, 'x')], payload: new Uint8Array(0) };
    peer.send(request);
    const first = await peer.waitFor((d) => d.message?.type === 'ACK');
    peer.send(request);
    const second = await peer.waitFor((d) => d.message?.type === 'ACK', 2_000, 1);
    expect(calls).toBe(1);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(text(first.message?.payload ?? new Uint8Array())).toBe('call 1');
    expect(stringOptions(first.message?.options ?? [], OptionNumber.LocationPath)).toEqual(['rd', 'abc']);
  });

  it('sends an empty ACK and then a separate confirmable response when the handler is slow, retransmitting it until ACKed', async () => {
    const timers = new ManualTimers();
    const server = await endpoint('127.0.0.1', fast, timers);
    const { promise: handling, resolve: called } = Promise.withResolvers<void>();
    const { promise: answer, resolve: finish } = Promise.withResolvers<void>();
    server.handle(async () => {
      called();
      await answer;
      return { code: '2.04' };
    });
    const peer = await rawPeer(server);
    peer.send({ type: 'CON', code: '0.02', messageId: 7, token: Uint8Array.of(9), options: [], payload: new Uint8Array(0) });
    await handling;
    timers.advance(fast.piggybackWindowMs);
    const ack = await peer.waitFor((d) => d.message?.type === 'ACK');
    expect(ack.message?.code).toBe('0.00');
    finish();
    const separate = await peer.waitFor((d) => d.message?.type === 'CON');
    expect(separate.message?.code).toBe('2.04');
    expect(Array.from(separate.message?.token ?? [])).toEqual([9]);
    // Not acknowledged within ACK_TIMEOUT: it comes again (RFC 7252 section 4.2).
    timers.advance(fast.ackTimeoutMs);
    const again = await peer.waitFor((d) => d.message?.type === 'CON', 1_000, peer.received.indexOf(separate) + 1);
    expect(again.message?.messageId).toBe(separate.message?.messageId);
    peer.send({ type: 'ACK', code: '0.00', messageId: again.message?.messageId ?? 0, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    await synced(peer, 1);
    const count = peer.received.length;
    timers.advance(60_000);
    await synced(peer, 2);
    // Acknowledged: nothing more comes but the RST to the second ping.
    expect(peer.received.slice(count).map((d) => d.message?.type)).toEqual(['RST']);
  });

  it('handles a message id again once EXCHANGE_LIFETIME has passed, replaying the stored reply until then', async () => {
    const timers = new ManualTimers();
    const server = await endpoint('127.0.0.1', fast, timers);
    let calls = 0;
    server.handle(() => ({ code: '2.05', payload: bytes(`call ${++calls}`) }));
    const peer = await rawPeer(server);
    // RFC 7252 section 4.8.2 with ACK_TIMEOUT 40 ms, ACK_RANDOM_FACTOR 1, MAX_RETRANSMIT 3: 280 + 4,000 + 40 ms.
    const lifetime = exchangeLifetimeMs({ ...defaultTransmissionParameters, ...fast });
    expect(lifetime).toBe(4_320);
    const request = { type: 'CON' as const, code: '0.01', messageId: 4243, token: Uint8Array.of(3), options: [], payload: new Uint8Array(0) };
    peer.send(request);
    const first = await peer.waitFor((d) => d.message?.type === 'ACK');
    timers.advance(lifetime - 1);
    peer.send(request);
    const replayed = await peer.waitFor((d) => d.message?.type === 'ACK', 2_000, 1);
    // Forgotten at the first sweep past the lifetime (sweeps run every max(50 ms, ACK_TIMEOUT)).
    timers.advance(1 + 50);
    peer.send(request);
    const handledAgain = await peer.waitFor((d) => d.message?.type === 'ACK', 2_000, 2);
    expect(calls).toBe(2);
    expect([first, replayed, handledAgain].map((d) => text(d.message?.payload ?? new Uint8Array()))).toEqual(['call 1', 'call 1', 'call 2']);
  });

  it('answers a ping (empty CON) with RST and an unrecognised critical option with 4.02', async () => {
    const server = await endpoint();
    server.handle(() => ({ code: '2.05' }));
    const peer = await rawPeer(server);
    peer.send({ type: 'CON', code: '0.00', messageId: 1, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    expect((await peer.waitFor((d) => d.message?.messageId === 1)).message?.type).toBe('RST');
    peer.send({ type: 'CON', code: '0.01', messageId: 2, token: Uint8Array.of(1), options: [{ number: 2049 + 2, value: Uint8Array.of(1) }], payload: new Uint8Array(0) });
    expect((await peer.waitFor((d) => d.message?.messageId === 2)).message?.code).toBe('4.02');
  });

  it('survives hostile datagrams and answers the next valid request', async () => {
    const server = await endpoint();
    server.handle(() => ({ code: '2.05', payload: bytes('still here') }));
    const peer = await rawPeer(server);
    const hostile = [
      Uint8Array.of(),
      Uint8Array.of(0x40),
      Uint8Array.of(0x40, 0x01, 0x00),
      Uint8Array.of(0x80, 0x01, 0x00, 0x01), // version 2
      Uint8Array.of(0x4f, 0x01, 0x00, 0x02, 1, 2, 3), // token length 15
      Uint8Array.of(0x49, 0x01, 0x00, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9), // token length 9
      Uint8Array.of(0x48, 0x01, 0x00, 0x04, 1, 2), // token truncated
      Uint8Array.of(0x40, 0x01, 0x00, 0x05, 0xf1, 0x00), // option delta 15
      Uint8Array.of(0x40, 0x01, 0x00, 0x06, 0x1f), // option length 15
      Uint8Array.of(0x40, 0x01, 0x00, 0x07, 0xbe, 0xff), // length extension truncated
      Uint8Array.of(0x40, 0x01, 0x00, 0x08, 0xb5, 0x61), // option runs past the end
      Uint8Array.of(0x40, 0x01, 0x00, 0x09, 0xff), // payload marker without payload
      Uint8Array.of(0x40, 0x00, 0x00, 0x0a, 0x00), // empty message with a byte
      Uint8Array.of(0x40, 0x02, 0x00, 0x0b, 0xd1, 0x0e, 0xff), // Block1 with reserved SZX 7
      Uint8Array.of(0x40, 0xe0, 0x00, 0x0c), // code 7.00
      Uint8Array.of(0x60, 0x45, 0x00, 0x0d), // unexpected piggybacked response
      Uint8Array.of(0x41, 0x45, 0x00, 0x0e, 0x77), // unexpected separate response
      new Uint8Array(1500).fill(0xdd),
    ];
    for (const datagram of hostile) peer.sendBytes(datagram);
    peer.send({ type: 'CON', code: '0.01', messageId: 99, token: Uint8Array.of(5), options: [stringOption(OptionNumber.UriPath, 'ok')], payload: new Uint8Array(0) });
    const answer = await peer.waitFor((d) => d.message?.messageId === 99);
    expect(answer.message?.code).toBe('2.05');
    expect(text(answer.message?.payload ?? new Uint8Array())).toBe('still here');
    // Malformed confirmable messages with a readable header are rejected with RST (RFC 7252 section 4.2).
    for (const id of [2, 3, 4, 5, 6, 7, 8, 9]) await peer.waitFor((d) => d.message?.messageId === id && d.message.type === 'RST');
    expect((await peer.waitFor((d) => d.message?.messageId === 11)).message?.code).toBe('4.00');
    expect((await peer.waitFor((d) => d.message?.messageId === 14)).message?.type).toBe('RST');
  });

  it('reassembles a Block1 request body and refuses blocks out of sequence and bodies over the limit', async () => {
    const server = await endpoint('127.0.0.1', { ...fast, maxBodySize: 200 });
    const bodies: string[] = [];
    server.handle((request) => {
      bodies.push(text(request.payload));
      return { code: '2.04' };
    });
    const peer = await rawPeer(server);
    const block = (messageId: number, num: number, more: boolean, payload: string, path = 'dp') => ({
      type: 'CON' as const,
      code: '0.02',
      messageId,
      token: Uint8Array.of(messageId),
      options: [stringOption(OptionNumber.UriPath, path), { number: OptionNumber.Block1, value: encodeBlockOption({ num, more, size: 16 }) }],
      payload: bytes(payload),
    });
    peer.send(block(1, 0, true, 'a'.repeat(16)));
    const cont = await peer.waitFor((d) => d.message?.messageId === 1);
    expect(cont.message?.code).toBe('2.31');
    peer.send(block(2, 1, true, 'b'.repeat(16)));
    await peer.waitFor((d) => d.message?.messageId === 2);
    peer.send(block(3, 2, false, 'end'));
    const done = await peer.waitFor((d) => d.message?.messageId === 3);
    expect(done.message?.code).toBe('2.04');
    const echo = done.message?.options.find((o) => o.number === OptionNumber.Block1);
    expect(echo && decodeBlockOption(echo.value)).toEqual({ ok: true, block: { num: 2, more: false, size: 16 } });
    expect(bodies).toEqual([`${'a'.repeat(16)}${'b'.repeat(16)}end`]);

    peer.send(block(4, 5, true, 'c'.repeat(16), 'other'));
    expect((await peer.waitFor((d) => d.message?.messageId === 4)).message?.code).toBe('4.08');

    for (let num = 0; num < 13; num++) peer.send(block(10 + num, num, true, 'd'.repeat(16), 'big'));
    await peer.waitFor((d) => d.message?.code === '4.13');
    expect(bodies).toHaveLength(1);
  });

  it('slices a large response into Block2 blocks that a node-coap client reassembles', async () => {
    const server = await endpoint();
    const big = 'x'.repeat(3000) + 'END';
    server.handle(() => ({ code: '2.05', contentFormat: 0, payload: bytes(big) }));
    const agent = new Agent({ type: 'udp4' });
    const response = await nodeCoapRequest({ hostname: '127.0.0.1', port: server.local.port, pathname: '/big', agent }, agent);
    expect(response.payload.toString()).toBe(big);
    agent.close();
  });
});

describe('DatagramCoapEndpoint sending requests', () => {
  it('sends from its own socket: the peer sees the endpoint port as the source', async () => {
    const client = await endpoint();
    let sourcePort = 0;
    const { port } = await nodeCoapServer('127.0.0.1', (req, res) => {
      sourcePort = req.rsinfo.port;
      res.setOption('Content-Format', 0);
      res.end(`read ${req.url}`);
    });
    const response = await client.request({ address: '127.0.0.1', port }, { method: 'GET', path: ['3', '0'], accept: 0 });
    expect(response.code).toBe('2.05');
    expect(text(response.payload)).toBe('read /3/0');
    expect(response.contentFormat).toBe(0);
    expect(sourcePort).toBe(client.local.port);
  });

  it('fetches a Block2 response and sends a Block1 request body to node-coap', async () => {
    const client = await endpoint();
    const big = 'y'.repeat(5000);
    const received: string[] = [];
    const { port } = await nodeCoapServer('127.0.0.1', (req, res) => {
      if (req.method === 'GET') res.end(big);
      else {
        received.push(req.payload.toString());
        res.code = '2.04';
        res.end();
      }
    });
    const read = await client.request({ address: '127.0.0.1', port }, { method: 'GET', path: ['big'] });
    expect(text(read.payload)).toBe(big);
    const write = await client.request({ address: '127.0.0.1', port }, { method: 'PUT', path: ['w'], payload: bytes('z'.repeat(2500)) });
    expect(write.code).toBe('2.04');
    expect(received).toEqual(['z'.repeat(2500)]);
  });

  it('retransmits a confirmable request with back-off, ignores a foreign ACK with the same id, and times out', async () => {
    const timers = new ManualTimers();
    const client = await endpoint('127.0.0.1', fast, timers);
    const silent = await RawCoapPeer.open({ address: '127.0.0.1', port: client.local.port });
    cleanups.push(() => silent.close());
    const foreign = await rawPeer(client);
    let givenUp = false;
    const outcome = client.request({ address: '127.0.0.1', port: silent.port }, { method: 'GET', path: ['3'] }).catch((error: unknown) => {
      givenUp = true;
      return error;
    });
    const first = await silent.waitFor(() => true);
    foreign.send({ type: 'ACK', code: '0.00', messageId: first.message?.messageId ?? 0, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    await synced(foreign, 1);
    // RFC 7252 section 4.2: sent again after ACK_TIMEOUT (40 ms, random factor 1), then doubling: at 40, 120 and 280 ms.
    for (const [index, delay] of [40, 80, 160].entries()) {
      timers.advance(delay);
      await silent.waitFor(() => true, 2_000, index + 1);
    }
    // Given up 320 ms after the last one, at 600 ms, not before.
    timers.advance(319);
    await synced(foreign, 2);
    expect(givenUp).toBe(false);
    timers.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(CoapTimeoutError);
    expect(silent.received).toHaveLength(4); // 1 + MAX_RETRANSMIT
    expect(new Set(silent.received.map((d) => d.message?.messageId)).size).toBe(1);
    // What metrics report: three retransmissions, and the foreign ACK dropped as unmatched.
    expect(client.traffic()).toEqual({ retransmissions: 3, droppedDatagrams: 1 });
  });

  it('abandons a request when its signal is aborted: it rejects with the reason and a late answer is refused with RST', async () => {
    const client = await endpoint();
    const silent = await rawPeer(client);
    const abandon = new AbortController();
    const outcome = client.request({ address: '127.0.0.1', port: silent.port }, { method: 'GET', path: ['3'], signal: abandon.signal }).catch((error: unknown) => error);
    const first = (await silent.waitFor(() => true)).message;
    const moved = new Error('the device moved');
    abandon.abort(moved);
    expect(await outcome).toBe(moved);
    const sent = silent.received.length;
    // A separate response (RFC 7252 section 5.2.2) to the abandoned token matches nothing any more.
    silent.send({ type: 'CON', code: '2.05', messageId: 7, token: first?.token ?? new Uint8Array(0), options: [], payload: bytes('late') });
    const reset = await silent.waitFor((datagram) => datagram.message?.type === 'RST', 2_000, sent);
    expect(reset.message?.messageId).toBe(7);
  });

  it('ignores a piggybacked response with another token and keeps retransmitting until the right one', async () => {
    const timers = new ManualTimers();
    const client = await endpoint('127.0.0.1', fast, timers);
    const peer = await RawCoapPeer.open({ address: '127.0.0.1', port: client.local.port });
    cleanups.push(() => peer.close());
    const pending = client.request({ address: '127.0.0.1', port: peer.port }, { method: 'GET', path: ['3'] });
    const first = await peer.waitFor(() => true);
    const id = first.message?.messageId ?? 0;
    peer.send({ type: 'ACK', code: '2.05', messageId: id, token: Uint8Array.of(0xee), options: [], payload: bytes('forged') });
    await synced(peer, 1);
    timers.advance(fast.ackTimeoutMs);
    const retransmitted = await peer.waitFor((d) => d.message?.type === 'CON', 1_000, 1);
    expect(retransmitted.message?.messageId).toBe(id);
    peer.send({ type: 'ACK', code: '2.05', messageId: id, token: first.message?.token ?? new Uint8Array(0), options: [], payload: bytes('real') });
    expect(text((await pending).payload)).toBe('real');
  });

  it('starts Block2 fetching at a given block and returns the body from there (the rest of a block-wise notification)', async () => {
    const client = await endpoint();
    const peer = await RawCoapPeer.open({ address: '127.0.0.1', port: client.local.port });
    cleanups.push(() => peer.close());
    const body = bytes(Array.from({ length: 40 }, (_, index) => String.fromCharCode(97 + (index % 26))).join(''));
    const rest = client.request({ address: '127.0.0.1', port: peer.port }, { method: 'GET', path: ['3', '0'], block2: { num: 1, size: 16 } });
    const askedBlock = (d: { message: CoapMessage | undefined }): BlockOption | undefined => {
      const decoded = decodeBlockOption(optionValues(d.message?.options ?? [], OptionNumber.Block2)[0] ?? new Uint8Array(0));
      return decoded.ok ? decoded.block : undefined;
    };
    // The first GET asks for block 1 directly (block 0 came with the notification); no request asks for block 0.
    for (const num of [1, 2]) {
      const request = await peer.waitFor((d) => d.message?.code === '0.01' && askedBlock(d)?.num === num);
      const message = request.message;
      if (!message) throw new Error('unreadable request');
      expect(askedBlock(request)).toMatchObject({ num, size: 16 });
      const end = Math.min((num + 1) * 16, body.length);
      peer.send({ type: 'ACK', code: '2.05', messageId: message.messageId, token: message.token, options: [{ number: OptionNumber.Block2, value: encodeBlockOption({ num, more: end < body.length, size: 16 }) }], payload: body.subarray(num * 16, end) });
    }
    const response = await rest;
    expect(response.code).toBe('2.05');
    expect(text(response.payload)).toBe(text(body.subarray(16)));
    expect(peer.received.some((d) => d.message?.code === '0.01' && askedBlock(d)?.num !== 1 && askedBlock(d)?.num !== 2)).toBe(false);
  });

  it('rejects a request the peer answers with RST, and matches a separate response by token', async () => {
    const client = await endpoint();
    const peer = await RawCoapPeer.open({ address: '127.0.0.1', port: client.local.port });
    cleanups.push(() => peer.close());
    const reset = client.request({ address: '127.0.0.1', port: peer.port }, { method: 'GET', path: ['1'] }).catch((error: unknown) => error);
    const first = await peer.waitFor(() => true);
    peer.send({ type: 'RST', code: '0.00', messageId: first.message?.messageId ?? 0, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    expect(await reset).toBeInstanceOf(CoapResetError);

    const separate = client.request({ address: '127.0.0.1', port: peer.port }, { method: 'GET', path: ['2'] });
    const request = await peer.waitFor((d) => stringOptions(d.message?.options ?? [], OptionNumber.UriPath)[0] === '2');
    const message = request.message;
    if (!message) throw new Error('unreadable request');
    peer.send({ type: 'ACK', code: '0.00', messageId: message.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    peer.send({ type: 'CON', code: '2.05', messageId: 500, token: message.token, options: [], payload: bytes('late') });
    const response = await separate;
    expect(text(response.payload)).toBe('late');
    const ack = await peer.waitFor((d) => d.message?.messageId === 500);
    expect(ack.message?.type).toBe('ACK');
  });
});
