import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import fc from 'fast-check';
import { DtlsServer } from '../../../src/adapters/dtls/DtlsServer.ts';
import type { DtlsServerOptions } from '../../../src/adapters/dtls/DtlsServer.ts';
import type { DtlsSessionInfo } from '../../../src/adapters/dtls/DtlsSession.ts';
import type { PeerAddress } from '../../../src/adapters/dtls/PeerAddress.ts';
import { dtls } from 'node-dtls-client';
import { DtlsTestClient } from './support/DtlsTestClient.ts';
import { UdpRelay } from './support/UdpRelay.ts';
import { UdpTestPeer } from './support/UdpTestPeer.ts';
import { clientHelloRecord, cookieOfHelloVerifyRequest } from './support/ClientHelloBuilder.ts';
import type { ClientHelloSpec } from './support/ClientHelloBuilder.ts';
import { waitFor } from './support/waitFor.ts';

const KEYS = new Map([
  ['device-1', 'secret-key-1'],
  ['device-2', 'secret-key-2'],
]);

interface Harness {
  server: DtlsServer;
  port: number;
  established: DtlsSessionInfo[];
  received: Array<{ data: Buffer; session: DtlsSessionInfo }>;
  closed: Array<{ session: DtlsSessionInfo; reason: string }>;
  failures: Array<{ peer: PeerAddress; reason: string; pskIdentity: string | undefined }>;
  logLines: string[];
}

let harness: Harness;
const cleanups: Array<() => Promise<void> | void> = [];

async function startServer(overrides: Partial<DtlsServerOptions> = {}): Promise<Harness> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const server = new DtlsServer({
    logger: pino({ level: 'debug' }, sink),
    pskLookup: (identity) => Promise.resolve(KEYS.has(identity.toString()) ? Buffer.from(KEYS.get(identity.toString()) ?? '') : undefined),
    handshakeTimeoutMs: 2000,
    ...overrides,
  });
  const h: Harness = { server, port: 0, established: [], received: [], closed: [], failures: [], logLines };
  server.on('sessionEstablished', (session) => h.established.push(session));
  server.on('datagram', (data, session) => {
    h.received.push({ data, session });
    server.send(session, Buffer.concat([Buffer.from('echo:'), data]));
  });
  server.on('sessionClosed', (session, reason) => h.closed.push({ session, reason }));
  server.on('handshakeFailed', (peer, reason, pskIdentity) => h.failures.push({ peer, reason, pskIdentity: pskIdentity?.toString() }));
  h.port = (await server.listen(0, '127.0.0.1')).port;
  cleanups.push(() => server.close());
  return h;
}

async function echoRoundTrip(client: DtlsTestClient, text: string): Promise<void> {
  const before = client.messages.length;
  client.send(Buffer.from(text));
  const messages = await client.waitForMessages(before + 1);
  expect(messages[before]?.toString()).toBe(`echo:${text}`);
}

async function connected(port: number, identity: string, key: string, cipher: Parameters<typeof DtlsTestClient.connect>[3]): Promise<DtlsTestClient> {
  const client = await DtlsTestClient.connect(port, identity, key, cipher);
  cleanups.push(() => client.close());
  return client;
}

/**
 * A raw peer's cookie exchange (RFC 6347 section 4.2.1): the ClientHello, then the same again with the
 * HelloVerifyRequest's cookie, in the next message and record numbers. Resolves with the HelloVerifyRequest.
 */
async function cookieExchange(peer: UdpTestPeer, port: number, hello: ClientHelloSpec): Promise<Buffer> {
  const before = peer.received.length;
  await peer.send(clientHelloRecord(hello), port);
  const verify = (await peer.waitForCount(before + 1))[before];
  if (verify === undefined) throw new Error('no HelloVerifyRequest');
  const recordSequence = (hello.recordSequence ?? 0) + 1;
  await peer.send(clientHelloRecord({ ...hello, cookie: cookieOfHelloVerifyRequest(verify), messageSeq: 1, recordSequence }), port);
  return verify;
}

beforeEach(async () => {
  harness = await startServer();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('DtlsServer with node-dtls-client', () => {
  it.each(['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256'] as const)('completes a handshake with %s and echoes data', async (cipher) => {
    const client = await connected(harness.port, 'device-1', 'secret-key-1', cipher);
    await echoRoundTrip(client, 'hello');
    await echoRoundTrip(client, 'a'.repeat(1000));
    expect(harness.established).toHaveLength(1);
    expect(harness.established[0]?.cipherSuite).toBe(cipher);
    expect(harness.established[0]?.pskIdentity.toString()).toBe('device-1');
    // node-dtls-client does not offer RFC 7627, so this covers the RFC 5246 master secret (libcoap covers the other).
    expect(harness.established[0]?.extendedMasterSecret).toBe(false);
    expect(harness.received.map((entry) => entry.data.toString())).toEqual(['hello', 'a'.repeat(1000)]);
  });

  it('reports a session closed when the client sends close_notify', async () => {
    const client = await DtlsTestClient.connect(harness.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    client.close();
    await waitFor(() => harness.closed.length === 1, 'session closed');
    expect(harness.closed[0]?.reason).toBe('close_notify');
    expect(harness.server.sessionCount()).toBe(0);
  });

  it('serves IPv6 peers', async () => {
    const server = new DtlsServer({ logger: pino({ level: 'silent' }), pskLookup: () => Promise.resolve(Buffer.from('secret-key-1')) });
    server.on('datagram', (data, session) => server.send(session, data));
    const { port } = await server.listen(0, '::1');
    cleanups.push(() => server.close());
    const socket = dtls.createSocket({ type: 'udp6', address: '::1', port, psk: { 'device-1': 'secret-key-1' }, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'], timeout: 3000 });
    cleanups.push(() => socket.close());
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      socket.once('connected', () => socket.send(Buffer.from('over v6')));
      socket.once('message', resolve);
      socket.once('error', reject);
    });
    expect(echoed.toString()).toBe('over v6');
  });

  it('keeps sessions of different peers apart', async () => {
    const first = await connected(harness.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    const second = await connected(harness.port, 'device-2', 'secret-key-2', 'TLS_PSK_WITH_AES_128_CBC_SHA256');
    await echoRoundTrip(first, 'one');
    await echoRoundTrip(second, 'two');
    expect(harness.received.map((entry) => [entry.session.pskIdentity.toString(), entry.data.toString()])).toEqual([
      ['device-1', 'one'],
      ['device-2', 'two'],
    ]);
  });
});

describe('DtlsServer failures', () => {
  it('fails a handshake with a wrong key without naming the key, and keeps serving others', async () => {
    await expect(DtlsTestClient.connect(harness.port, 'device-1', 'not-the-key', 'TLS_PSK_WITH_AES_128_CCM_8')).rejects.toThrow();
    await waitFor(() => harness.failures.length === 1, 'handshake failure');
    expect(harness.failures[0]?.reason).toMatch(/wrong PSK|did not authenticate|verify_data/);
    expect(harness.failures[0]?.pskIdentity).toBe('device-1');
    const everything = JSON.stringify(harness.failures) + harness.logLines.join('');
    expect(everything).not.toContain('secret-key-1');
    expect(everything).not.toContain('not-the-key');
    expect(harness.server.handshakeCount()).toBe(0);
    const good = await connected(harness.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    await echoRoundTrip(good, 'still here');
  });

  it('fails a handshake with an unknown identity', async () => {
    await expect(DtlsTestClient.connect(harness.port, 'nobody', 'whatever', 'TLS_PSK_WITH_AES_128_CBC_SHA256')).rejects.toThrow();
    await waitFor(() => harness.failures.length === 1, 'handshake failure');
    expect(harness.failures[0]?.reason).toBe('unknown PSK identity');
    expect(harness.failures[0]?.pskIdentity).toBe('nobody');
    expect(harness.server.sessionCount()).toBe(0);
    const good = await connected(harness.port, 'device-2', 'secret-key-2', 'TLS_PSK_WITH_AES_128_CBC_SHA256');
    await echoRoundTrip(good, 'ok');
  });

  it('refuses a client that offers no suite in common', async () => {
    await expect(DtlsTestClient.connect(harness.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CBC_SHA')).rejects.toThrow();
    await waitFor(() => harness.failures.length === 1, 'handshake failure');
    expect(harness.failures[0]?.reason).toBe('no cipher suite in common');
    expect(harness.server.handshakeCount()).toBe(0);
  });

  it('fails a handshake whose PSK lookup rejects', async () => {
    const failing = await startServer({ pskLookup: () => Promise.reject(new Error('store down')) });
    await expect(DtlsTestClient.connect(failing.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8')).rejects.toThrow();
    await waitFor(() => failing.failures.length === 1, 'handshake failure');
    expect(failing.failures[0]?.reason).toBe('PSK lookup failed');
  });

  it.each(['replayed', 'truncated', 'garbled'] as const)('discards a %s application record and the session goes on', async (damage) => {
    const relay = await UdpRelay.start(harness.port);
    cleanups.push(() => relay.close());
    const client = await connected(relay.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    await echoRoundTrip(client, 'first');
    const dataRecord = relay.fromClient.at(-1);
    if (dataRecord === undefined || dataRecord[0] !== 23) throw new Error('relay did not capture the application record');
    const damaged =
      damage === 'replayed'
        ? dataRecord
        : damage === 'truncated'
          ? dataRecord.subarray(0, dataRecord.length - 5)
          : Buffer.from(dataRecord.map((byte, index) => (index === dataRecord.length - 3 ? byte ^ 0x40 : byte)));
    await relay.inject(damaged);
    await echoRoundTrip(client, 'second');
    expect(harness.received.map((entry) => entry.data.toString())).toEqual(['first', 'second']);
    expect(harness.closed).toEqual([]);
  });

  it('answers a flood of ClientHellos without a cookie statelessly', async () => {
    const flooder = await UdpTestPeer.open('127.0.0.2');
    cleanups.push(() => flooder.close());
    const count = 300;
    for (let i = 0; i < count; i++) await flooder.send(clientHelloRecord({ random: Buffer.alloc(32, i % 256), recordSequence: i }), harness.port);
    const replies = await flooder.waitForCount(count);
    expect(replies.every((reply) => reply[13] === 3)).toBe(true); // all HelloVerifyRequests
    expect(replies.every((reply) => reply.length < 13 + 12 + 3 + 32 + 1)).toBe(true); // smaller than the hello: no amplification
    expect(harness.server.handshakeCount()).toBe(0);
    const good = await connected(harness.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    await echoRoundTrip(good, 'unaffected');
  });

  it('limits handshakes per address after the cookie exchange and frees them on timeout', async () => {
    const limited = await startServer({ maxHandshakesPerAddress: 3, handshakeTimeoutMs: 300 });
    const flooders = await Promise.all([1, 2, 3, 4, 5].map(() => UdpTestPeer.open('127.0.0.2')));
    for (const flooder of flooders) cleanups.push(() => flooder.close());
    for (const [index, flooder] of flooders.entries()) {
      const random = Buffer.alloc(32, index);
      await flooder.send(clientHelloRecord({ random }), limited.port);
      const [verify] = await flooder.waitForCount(1);
      if (verify === undefined) throw new Error('no HelloVerifyRequest');
      await flooder.send(clientHelloRecord({ random, cookie: cookieOfHelloVerifyRequest(verify), messageSeq: 1, recordSequence: 1 }), limited.port);
    }
    await waitFor(() => limited.failures.length === 2, 'two refused handshakes');
    expect(limited.failures.map((failure) => failure.reason)).toEqual(['too many handshakes in progress', 'too many handshakes in progress']);
    expect(limited.server.handshakeCount()).toBe(3);
    // Another address is not affected by this one's limit.
    const good = await connected(limited.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    await echoRoundTrip(good, 'served');
    await waitFor(() => limited.server.handshakeCount() === 0, 'abandoned handshakes to time out');
    expect(limited.failures.filter((failure) => failure.reason.startsWith('handshake timed out'))).toHaveLength(3);
  });

  it('refuses a new session beyond the session limit', async () => {
    const limited = await startServer({ maxSessions: 1 });
    await connected(limited.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    await expect(DtlsTestClient.connect(limited.port, 'device-2', 'secret-key-2', 'TLS_PSK_WITH_AES_128_CCM_8')).rejects.toThrow();
    expect(limited.failures.map((failure) => failure.reason)).toContain('session limit reached');
    expect(limited.server.sessionCount()).toBe(1);
  });

  it('retransmits flight 4 with fresh record numbers when the client goes quiet, and on a repeated ClientHello', async () => {
    const quick = await startServer({ initialRetransmitMs: 100 });
    const peer = await UdpTestPeer.open();
    cleanups.push(() => peer.close());
    const random = Buffer.alloc(32, 7);
    await peer.send(clientHelloRecord({ random }), quick.port);
    const [verify] = await peer.waitForCount(1);
    if (verify === undefined) throw new Error('no HelloVerifyRequest');
    const withCookie = clientHelloRecord({ random, cookie: cookieOfHelloVerifyRequest(verify), messageSeq: 1, recordSequence: 1 });
    await peer.send(withCookie, quick.port);
    const [, first, second] = await peer.waitForCount(3, 1000); // the timer fires after 100 ms
    if (first === undefined || second === undefined) throw new Error('no flight 4');
    expect(first[13]).toBe(2); // ServerHello
    expect(second.subarray(13)).not.toEqual(first.subarray(13)); // headers differ: new record sequence numbers...
    expect(second.readUIntBE(5, 6)).toBeGreaterThan(first.readUIntBE(5, 6));
    expect(second.subarray(13, 13 + first.readUInt16BE(11))).toEqual(first.subarray(13, 13 + first.readUInt16BE(11))); // ...same messages
    const seen = peer.received.length;
    await peer.send(withCookie, quick.port);
    await peer.waitForCount(seen + 1);
    expect(quick.server.handshakeCount()).toBe(1);
  });

  it.each([0, 6])('never throws on random datagrams (connection ID length %i) and keeps serving', async (connectionIdLength) => {
    const target = connectionIdLength === 0 ? harness : await startServer({ connectionIdLength });
    const hostile = await UdpTestPeer.open();
    cleanups.push(() => hostile.close());
    const validHello = clientHelloRecord({ random: Buffer.alloc(32, 1) });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 300 }),
          // Valid headers with random bodies get past the first checks.
          fc.uint8Array({ minLength: 0, maxLength: 200 }).map((tail) => Buffer.concat([Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, tail.length]), tail])),
          // tls12_cid headers (RFC 9146) with random connection IDs and bodies.
          fc.uint8Array({ minLength: 6, maxLength: 200 }).map((tail) => Buffer.concat([Buffer.from([25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9]), tail])),
          fc.tuple(fc.nat(validHello.length - 1), fc.integer({ min: 0, max: 255 })).map(([index, byte]) => {
            const mutated = Buffer.from(validHello);
            mutated[index] = byte;
            return mutated;
          }),
        ),
        async (bytes) => {
          await hostile.send(Buffer.from(bytes), target.port);
        },
      ),
      { numRuns: 300 },
    );
    const good = await connected(target.port, 'device-2', 'secret-key-2', 'TLS_PSK_WITH_AES_128_CBC_SHA256');
    await echoRoundTrip(good, 'alive');
    expect(target.logLines.filter((line) => line.includes('internal error'))).toEqual([]);
  });

  it('closes idle sessions with close_notify', async () => {
    const idle = await startServer({ sessionIdleTimeoutMs: 200 });
    const client = await connected(idle.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    await echoRoundTrip(client, 'active');
    await waitFor(() => idle.closed.length === 1, 'idle session closed', 2000);
    expect(idle.closed[0]?.reason).toBe('idle timeout');
    expect(idle.server.sessionCount()).toBe(0);
  });

  it('refuses a client that offers only DTLS 1.0, after the cookie exchange', async () => {
    const peer = await UdpTestPeer.open();
    cleanups.push(() => peer.close());
    const random = Buffer.alloc(32, 3);
    await cookieExchange(peer, harness.port, { random, clientVersion: 0xfeff });
    const [, alert] = await peer.waitForCount(2);
    expect(alert?.subarray(0, 1)).toEqual(Buffer.from([21])); // an alert record...
    expect(alert?.readUInt16BE(1)).toBe(0xfeff); // ...in DTLS 1.0, as no version was agreed...
    expect(alert?.subarray(13)).toEqual(Buffer.from([2, 70])); // ...fatal protocol_version
    expect(harness.failures.map((failure) => failure.reason)).toEqual(['client offers only DTLS version 0xfeff']);
    expect(harness.server.handshakeCount()).toBe(0);
  });

  it('fails a handshake on an out-of-order message with unexpected_message', async () => {
    const peer = await UdpTestPeer.open();
    cleanups.push(() => peer.close());
    const random = Buffer.alloc(32, 4);
    await cookieExchange(peer, harness.port, { random });
    await peer.waitForCount(2); // flight 4
    // A Finished (type 20) in plaintext where the ClientKeyExchange (message_seq 2) belongs.
    const finished = Buffer.from('16fefd00000000000000020018' + '1400000c000200000000000c' + '00'.repeat(12), 'hex');
    await peer.send(finished, harness.port);
    const [, , alert] = await peer.waitForCount(3);
    expect(alert?.subarray(13)).toEqual(Buffer.from([2, 10]));
    await waitFor(() => harness.failures.length === 1, 'handshake failure');
    expect(harness.failures[0]?.reason).toBe('unexpected handshake message 20 in state awaiting-key-exchange');
    expect(harness.server.handshakeCount()).toBe(0);
  });

  it('closes sessions with close_notify when the server closes', async () => {
    await connected(harness.port, 'device-1', 'secret-key-1', 'TLS_PSK_WITH_AES_128_CCM_8');
    await harness.server.close();
    expect(harness.closed.map((entry) => entry.reason)).toEqual(['server closing']);
  });
});

/**
 * RFC 6347 section 4.2.1: the HelloVerifyRequest says DTLS 1.0 whatever the ClientHello's record said,
 * since a client may write there a version it cannot read back (mbedTLS writes its configured minimum,
 * {254, 0} for the lowest, and drops a reply that echoes it).
 */
describe('DtlsServer record versions before and after a version is agreed', () => {
  it.each([
    ['{254, 0}', 0xfe00],
    ['DTLS 1.0', 0xfeff],
    ['DTLS 1.2', 0xfefd],
    ['{254, 66}', 0xfe42],
  ])('answers a ClientHello in a record of version %s with a HelloVerifyRequest that says DTLS 1.0, then negotiates DTLS 1.2', async (_name, recordVersion) => {
    const peer = await UdpTestPeer.open();
    cleanups.push(() => peer.close());
    const random = Buffer.alloc(32, 5);
    const verify = await cookieExchange(peer, harness.port, { random, recordVersion, recordSequence: 7 });
    expect(verify[0]).toBe(22);
    expect(verify.readUInt16BE(1)).toBe(0xfeff); // record version
    expect(verify.readUIntBE(5, 6)).toBe(7); // the ClientHello's record sequence number (section 4.2.1)
    expect(verify[13]).toBe(3); // hello_verify_request
    expect(verify.readUInt16BE(25)).toBe(0xfeff); // server_version
    const [, serverHello] = await peer.waitForCount(2);
    expect(serverHello?.[13]).toBe(2); // server_hello
    expect(serverHello?.readUInt16BE(1)).toBe(0xfefd); // record version, now agreed
    expect(serverHello?.readUInt16BE(25)).toBe(0xfefd); // server_version
  });

  it('discards a record after the ServerHello whose version is not DTLS 1.2', async () => {
    const peer = await UdpTestPeer.open();
    cleanups.push(() => peer.close());
    const random = Buffer.alloc(32, 7);
    await cookieExchange(peer, harness.port, { random, recordVersion: 0xfeff });
    await peer.waitForCount(2); // flight 4
    // An out-of-order Finished in a DTLS 1.0 record: discarded, so it cannot end the handshake...
    await peer.send(Buffer.from('16feff00000000000000020018' + '1400000c000200000000000c' + '00'.repeat(12), 'hex'), harness.port);
    // ...which the next, malformed, DTLS 1.2 handshake record then does, for its own reason.
    await peer.send(Buffer.from('16fefd0000000000000003000110', 'hex'), harness.port); // a ClientKeyExchange cut after its type
    await waitFor(() => harness.failures.length === 1, 'handshake failure');
    expect(harness.failures[0]?.reason).toMatch(/^malformed handshake record/);
    expect(harness.logLines.join('')).toContain('record with another version than the negotiated DTLS 1.2 discarded');
  });
});
