/**
 * Session resumption by session ID (RFC 5246 section 7.3, RFC 6347 section 4.2.4 figure 2) against
 * OpenSSL's `s_client -dtls1_2`, which saves its session with `-sess_out` and offers it again with
 * `-sess_in`: the server resumes a session it cached, and gives a full handshake for an unknown or
 * expired session, a PSK changed since, or a ClientHello that breaks RFC 7627 section 5.3 (raw peer).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DtlsServer } from '../../../src/adapters/dtls/DtlsServer.ts';
import type { DtlsSessionInfo } from '../../../src/adapters/dtls/DtlsSession.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { clientHelloRecord, cookieOfHelloVerifyRequest } from './support/ClientHelloBuilder.ts';
import type { ClientHelloSpec } from './support/ClientHelloBuilder.ts';
import { MinimalPskClient } from './support/MinimalPskClient.ts';
import { UdpTestPeer } from './support/UdpTestPeer.ts';
import { waitFor } from './support/waitFor.ts';

const IDENTITY = 'resuming-device';
const KEY = '00112233445566778899aabbccddeeff';
const OTHER_KEY = 'ffeeddccbbaa99887766554433221100';
const LIFETIME_MS = 60 * 60 * 1000;

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-resumption-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  readonly server: DtlsServer;
  readonly port: number;
  readonly clock: ManualClock;
  readonly keys: Map<string, string>;
  readonly established: DtlsSessionInfo[];
  readonly received: string[];
}

async function start(): Promise<Harness> {
  const clock = new ManualClock();
  const keys = new Map([[IDENTITY, KEY]]);
  const server = new DtlsServer({
    logger: silentLogger(),
    clock,
    pskLookup: (identity) => {
      const key = keys.get(identity.toString());
      return Promise.resolve(key === undefined ? undefined : Buffer.from(key, 'hex'));
    },
    sessionCacheLifetimeMs: LIFETIME_MS,
  });
  const established: DtlsSessionInfo[] = [];
  const received: string[] = [];
  server.on('sessionEstablished', (session) => established.push(session));
  server.on('datagram', (data) => received.push(data.toString()));
  const port = (await server.listen(0)).port;
  cleanups.push(() => server.close());
  return { server, port, clock, keys, established, received };
}

interface ClientRun {
  /** "New" for a full handshake, "Reused" for an abbreviated one (s_client's session summary). */
  readonly handshake: string | undefined;
  readonly sessionId: string | undefined;
}

/** s_client with a PSK: sends `text`, waits until the server has it, then ends its input so that s_client closes and writes -sess_out. */
async function sClient(h: Harness, text: string, key: string, sessionArgs: readonly string[]): Promise<ClientRun> {
  const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${h.port}`, '-psk_identity', IDENTITY, '-psk', key, '-cipher', 'PSK-AES128-CCM8', ...sessionArgs];
  const client = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  client.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => client.once('exit', () => resolve()));
  client.stdin.write(text);
  try {
    await waitFor(() => h.received.includes(text), 's_client', 5000);
  } catch {
    client.kill();
    throw new Error(`s_client did not get its data through:\n${output}`);
  }
  client.stdin.end();
  await exited;
  return { handshake: /^(New|Reused), TLSv1\.2/m.exec(output)?.[1], sessionId: /Session-ID: ([0-9A-F]*)/.exec(output)?.[1] };
}

describe('session resumption with OpenSSL s_client', () => {
  it('resumes a cached session: the same session ID, the same identity, in an abbreviated handshake', async () => {
    const h = await start();
    const session = join(dir, 'resumed.pem');
    const first = await sClient(h, 'first', KEY, ['-sess_out', session]);
    expect(first.handshake).toBe('New');
    expect(first.sessionId).toMatch(/^[0-9A-F]{64}$/);
    const second = await sClient(h, 'second', KEY, ['-sess_in', session]);
    expect(second).toEqual({ handshake: 'Reused', sessionId: first.sessionId });
    expect(h.established.map((info) => ({ resumed: info.resumed, identity: info.pskIdentity.toString(), ems: info.extendedMasterSecret }))).toEqual([
      { resumed: false, identity: IDENTITY, ems: true },
      { resumed: true, identity: IDENTITY, ems: true },
    ]);
  });

  it('gives a full handshake for a session it does not know', async () => {
    const h = await start();
    const session = join(dir, 'unknown.pem');
    await sClient(h, 'first', KEY, ['-sess_out', session]);
    const other = await start();
    const second = await sClient(other, 'second', KEY, ['-sess_in', session]);
    expect(second.handshake).toBe('New');
    expect(other.established.map((info) => info.resumed)).toEqual([false]);
  });

  it('gives a full handshake once the session has expired', async () => {
    const h = await start();
    const session = join(dir, 'expired.pem');
    await sClient(h, 'first', KEY, ['-sess_out', session]);
    h.clock.advanceSeconds(LIFETIME_MS / 1000);
    const second = await sClient(h, 'second', KEY, ['-sess_in', session]);
    expect(second.handshake).toBe('New');
    expect(h.established.map((info) => info.resumed)).toEqual([false, false]);
  });

  it('gives a full handshake, with the new key, when the PSK has changed since the session was made', async () => {
    const h = await start();
    const session = join(dir, 'changed.pem');
    await sClient(h, 'first', KEY, ['-sess_out', session]);
    h.keys.set(IDENTITY, OTHER_KEY);
    const second = await sClient(h, 'second', OTHER_KEY, ['-sess_in', session]);
    expect(second.handshake).toBe('New');
    expect(h.established.map((info) => info.resumed)).toEqual([false, false]);
  });
});

describe('session resumption with the test suite\'s minimal client (the benchmark\'s client)', () => {
  it('resumes from a new port and carries application data in the resumed session', async () => {
    const h = await start();
    // The minimal client takes its key as text.
    h.keys.set(IDENTITY, Buffer.from('minimal-psk-text').toString('hex'));
    const full = await MinimalPskClient.connect(h.port, IDENTITY, 'minimal-psk-text');
    cleanups.push(() => full.close());
    const session = full.session;
    if (session === undefined) throw new Error('the server gave no session ID');
    const resumed = await MinimalPskClient.resume(h.port, session);
    cleanups.push(() => resumed.close());
    resumed.send(Buffer.from('over the resumed session'));
    await waitFor(() => h.received.includes('over the resumed session'), 'the data');
    expect(h.established.map((info) => info.resumed)).toEqual([false, true]);
    expect(h.established[1]?.peer.port).toBe(resumed.localPort);
  });
});

describe('session resumption and the extended master secret (RFC 7627 section 5.3)', () => {
  /** The cookie exchange, then the ServerHello's session_id (record 13 + handshake 12 + version 2 + random 32). */
  async function serverHelloSessionId(h: Harness, hello: ClientHelloSpec): Promise<Buffer> {
    const peer = await UdpTestPeer.open();
    cleanups.push(() => peer.close());
    await peer.send(clientHelloRecord(hello), h.port);
    const [verify] = await peer.waitForCount(1);
    if (verify === undefined) throw new Error('no HelloVerifyRequest');
    await peer.send(clientHelloRecord({ ...hello, cookie: cookieOfHelloVerifyRequest(verify), messageSeq: 1, recordSequence: 1 }), h.port);
    const [, serverHello] = await peer.waitForCount(2);
    if (serverHello?.[13] !== 2) throw new Error('no ServerHello');
    const length = serverHello.readUInt8(13 + 12 + 2 + 32);
    return serverHello.subarray(13 + 12 + 2 + 32 + 1, 13 + 12 + 2 + 32 + 1 + length);
  }

  it('does not cache a session without the extended master secret: its ServerHello has no session ID', async () => {
    const h = await start();
    const sessionId = await serverHelloSessionId(h, { random: Buffer.alloc(32, 1), extendedMasterSecret: false });
    expect(sessionId).toEqual(Buffer.alloc(0));
  });

  it('does not resume a cached session for a ClientHello without the extended master secret', async () => {
    const h = await start();
    const first = await sClient(h, 'first', KEY, ['-sess_out', join(dir, 'ems.pem')]);
    const cached = Buffer.from(first.sessionId ?? '', 'hex');
    const withoutEms = await serverHelloSessionId(h, { random: Buffer.alloc(32, 2), sessionId: cached, extendedMasterSecret: false });
    expect(withoutEms).toEqual(Buffer.alloc(0));
    // The same offer with the extension is resumed: the server answers with the cached ID.
    const withEms = await serverHelloSessionId(h, { random: Buffer.alloc(32, 3), sessionId: cached });
    expect(withEms).toEqual(cached);
  });
});
