/**
 * RFC 9146 connection IDs. No independent client available here speaks them (node-dtls-client does not;
 * libcoap 4.3.1 on OpenSSL 3.0 / GnuTLS 3.7 does not), so these tests use the minimal client; the wire
 * format is pinned byte by byte in ProtectedRecords.unit.test.ts against the RFC's definitions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DtlsServer } from '../../../src/adapters/dtls/DtlsServer.ts';
import type { DtlsSessionInfo } from '../../../src/adapters/dtls/DtlsSession.ts';
import type { PeerAddress } from '../../../src/adapters/dtls/PeerAddress.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { MinimalPskClient } from './support/MinimalPskClient.ts';
import { UdpTestPeer } from './support/UdpTestPeer.ts';
import { waitFor } from './support/waitFor.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  server: DtlsServer;
  port: number;
  received: Array<{ data: string; peer: PeerAddress }>;
  moves: Array<{ session: DtlsSessionInfo; previous: PeerAddress }>;
}

async function echoServer(connectionIdLength: number): Promise<Harness> {
  const server = new DtlsServer({ logger: silentLogger(), pskLookup: () => Promise.resolve(Buffer.from('key')), connectionIdLength });
  const h: Harness = { server, port: 0, received: [], moves: [] };
  server.on('datagram', (data, session) => {
    h.received.push({ data: data.toString(), peer: session.peer });
    server.send(session, data);
  });
  server.on('sessionMoved', (session, previous) => h.moves.push({ session, previous }));
  h.port = (await server.listen(0)).port;
  cleanups.push(() => server.close());
  return h;
}

async function client(port: number, connectionId: Buffer | undefined): Promise<MinimalPskClient> {
  const connected = await MinimalPskClient.connect(port, 'id', 'key', { connectionId });
  cleanups.push(() => connected.close());
  return connected;
}

async function echo(peer: MinimalPskClient, text: string): Promise<{ reply: string; datagram: Buffer }> {
  const reply = new Promise<string>((resolve) => peer.onData((data) => resolve(data.toString())));
  const datagram = peer.send(Buffer.from(text));
  return { reply: await reply, datagram };
}

describe('RFC 9146 connection IDs', () => {
  it('negotiates connection IDs both ways and puts each in the records to its owner', async () => {
    const { port } = await echoServer(6);
    const peer = await client(port, Buffer.from('c1c2c3c4', 'hex'));
    expect(peer.serverConnectionId).toHaveLength(6);
    const raw = peer.nextRaw(1);
    const { datagram } = await echo(peer, 'with ids');
    expect(datagram[0]).toBe(25); // tls12_cid towards the server...
    expect(datagram.subarray(11, 17)).toEqual(peer.serverConnectionId); // ...with the server's ID
    const [reply] = await raw;
    expect(reply?.[0]).toBe(25);
    expect(reply?.subarray(11, 15).toString('hex')).toBe('c1c2c3c4'); // ours in the server's records
  });

  it('answers in the classic format when the client wants no ID itself', async () => {
    const { port } = await echoServer(6);
    const peer = await client(port, Buffer.alloc(0));
    const raw = peer.nextRaw(1);
    const { reply, datagram } = await echo(peer, 'one way');
    expect(reply).toBe('one way');
    expect(datagram[0]).toBe(25);
    expect((await raw)[0]?.[0]).toBe(23);
  });

  it('keeps the session when the client comes back from a new port, and answers there', async () => {
    const h = await echoServer(6);
    const peer = await client(h.port, Buffer.alloc(0));
    expect((await echo(peer, 'before')).reply).toBe('before');
    await peer.moveToNewPort();
    expect((await echo(peer, 'after')).reply).toBe('after');
    expect(h.server.sessionCount()).toBe(1);
    expect(h.moves).toHaveLength(1);
    expect(h.received.map((entry) => entry.data)).toEqual(['before', 'after']);
    expect(h.received[1]?.peer.port).not.toBe(h.received[0]?.peer.port);
  });

  it('delivers an older authentic record from elsewhere without moving the session, and drops its replay', async () => {
    const h = await echoServer(6);
    const peer = await client(h.port, Buffer.alloc(0));
    const late = peer.seal(Buffer.from('late')); // sequence number 1, not sent yet
    expect((await echo(peer, 'newer')).reply).toBe('newer'); // sequence number 2
    const elsewhere = await UdpTestPeer.open();
    cleanups.push(() => elsewhere.close());
    await elsewhere.send(late, h.port);
    await waitFor(() => h.received.length === 2, 'the late record');
    await elsewhere.send(late, h.port); // a replay: dropped by the window
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.moves).toEqual([]);
    expect(h.received.map((entry) => entry.data)).toEqual(['newer', 'late']);
    expect(h.received[1]?.peer.port).toBe(h.received[0]?.peer.port); // still the session's address
  });

  it('ignores the extension when connection IDs are off', async () => {
    const { port } = await echoServer(0);
    const peer = await client(port, Buffer.from('aa', 'hex'));
    expect(peer.serverConnectionId).toBeUndefined();
    const { reply, datagram } = await echo(peer, 'classic');
    expect(reply).toBe('classic');
    expect(datagram[0]).toBe(23);
  });
});
