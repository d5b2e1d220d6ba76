/**
 * Flight-level behaviour of the server handshake (RFC 6347 section 4.2.4) driven by a minimal client
 * built from our own codecs, because it has to lose and repeat flights on purpose. The server's clock
 * is the test's, so that the guard against replayed flights is passed by moving it, not by sleeping.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CIPHER_SUITES } from '../../../src/adapters/dtls/CipherSuites.ts';
import { DtlsServer } from '../../../src/adapters/dtls/DtlsServer.ts';
import type { DtlsSessionInfo } from '../../../src/adapters/dtls/DtlsSession.ts';
import { parseDatagram } from '../../../src/adapters/dtls/DtlsRecord.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { MinimalPskClient } from './support/MinimalPskClient.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(clock = new ManualClock()): Promise<{ server: DtlsServer; port: number; sessions: DtlsSessionInfo[] }> {
  const server = new DtlsServer({ logger: silentLogger(), clock, pskLookup: () => Promise.resolve(Buffer.from('key')) });
  const sessions: DtlsSessionInfo[] = [];
  server.on('sessionEstablished', (session) => sessions.push(session));
  server.on('datagram', (data, session) => server.send(session, data));
  const { port } = await server.listen(0);
  cleanups.push(() => server.close());
  return { server, port, sessions };
}

async function client(port: number, suite: number): Promise<MinimalPskClient> {
  const connected = await MinimalPskClient.connect(port, 'id', 'key', { suiteId: suite });
  cleanups.push(() => connected.close());
  return connected;
}

describe('ServerHandshake flights', () => {
  it.each(CIPHER_SUITES.filter((suite) => suite.keyExchange === 'psk'))('establishes a session with $name and the extended master secret', async (suite) => {
    const { port, sessions } = await echoServer();
    const peer = await client(port, suite.id);
    const echoed = new Promise<Buffer>((resolve) => peer.onData(resolve));
    peer.send(Buffer.from('ping'));
    expect((await echoed).toString()).toBe('ping');
    expect(sessions[0]?.extendedMasterSecret).toBe(true);
  });

  it('reassembles a ClientKeyExchange that arrives in two fragments, last part first', async () => {
    const { port, sessions } = await echoServer();
    const peer = await MinimalPskClient.connect(port, 'fragmented-id', 'key', { fragmentKeyExchange: true });
    cleanups.push(() => peer.close());
    expect(sessions[0]?.pskIdentity.toString()).toBe('fragmented-id');
  });

  it('resends the final flight, with new record numbers, when the client repeats flight 5', async () => {
    const clock = new ManualClock();
    const { port } = await echoServer(clock);
    const peer = await client(port, 0xc0a8);
    clock.advanceSeconds(0.5); // past the guard against replayed flights
    const resent = peer.nextRaw(1);
    peer.sendRaw(peer.flight5);
    const [flight6] = await resent;
    const records = parseDatagram(flight6 ?? Buffer.alloc(0)).records;
    expect(records.map((record) => [record.type, record.epoch])).toEqual([
      [20, 0],
      [22, 1],
    ]);
    expect(records[1]?.sequenceNumber).toBe(1); // the first Finished took 0
  });

  it('stops resending the final flight once application data arrived', async () => {
    const clock = new ManualClock();
    const { port } = await echoServer(clock);
    const peer = await client(port, 0xc0a8);
    const echoed = new Promise<Buffer>((resolve) => peer.onData(resolve));
    peer.send(Buffer.from('ping'));
    await echoed;
    clock.advanceSeconds(0.5); // past the guard against replayed flights: only the data received stops the resend
    const next = peer.nextRaw(1);
    peer.sendRaw(peer.flight5);
    peer.send(Buffer.from('after'));
    // The server handles datagrams in order: a resent flight 6 would come before the echo of what followed flight 5.
    const [first] = await next;
    expect(parseDatagram(first ?? Buffer.alloc(0)).records.map((record) => [record.type, record.epoch])).toEqual([[23, 1]]);
  });

  it('replaces the session of a client that restarted behind the same address and port (RFC 6347 section 4.2.8)', async () => {
    const { server, port, sessions } = await echoServer();
    const closed: string[] = [];
    server.on('sessionClosed', (_session, reason) => closed.push(reason));
    const secondSession = new Promise<void>((resolve) => {
      server.on('sessionEstablished', () => {
        if (sessions.length === 2) resolve();
      });
    });
    const before = await client(port, 0xc0a8);
    const localPort = before.localPort;
    await before.close();
    const after = await MinimalPskClient.connect(port, 'id', 'key', { suiteId: 0x00ae, localPort });
    cleanups.push(() => after.close());
    await secondSession;
    expect(closed).toEqual(['replaced by a new handshake from the same peer']);
    expect(server.sessionCount()).toBe(1);
    const echoed = new Promise<Buffer>((resolve) => after.onData(resolve));
    after.send(Buffer.from('new session'));
    expect((await echoed).toString()).toBe('new session');
  });
});
