/**
 * DTLS server benchmark.
 *
 *   node bench/dtls.bench.ts
 *
 * Over loopback, client and server in one process, so that both share the 2 cores: full PSK handshakes
 * per second (cookie exchange included; one client at a time, then 8 at once), and echo round trips of
 * 64-byte application datagrams per second over one session, one at a time (latency-bound) and with 32
 * in flight (throughput-bound), per cipher suite. The same echo over plain UDP sockets is the comparison.
 * Two clients: node-dtls-client (independent, but its record layer is the slower side) and the test
 * suite's minimal client built on node:crypto KeyObjects (closer to what the server alone can do).
 * Certificate handshakes (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, the client authenticated by an X.509
 * certificate, the server signing its ECDHE key) in the same run, by the test suite's minimal
 * certificate client (node-dtls-client has no certificate suites); the credential lookup answers at
 * once, as the PSK lookup does, so that both measure the DTLS server alone.
 * Abbreviated handshakes (session resumption by ID, RFC 5246 section 7.3) by the minimal client, each
 * from a new socket offering the session of one full handshake, next to its full PSK handshakes.
 * The graceful restart: 4,000 established sessions suspended, sealed and written, then read, opened
 * and restored in a second server (Californium's figure is 4,000 connections saved in 44 ms).
 * Bounded: about 65 s.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtls } from 'node-dtls-client';
import { AesGcmSecretSealer } from '../src/adapters/crypto/AesGcmSecretSealer.ts';
import { DtlsServer } from '../src/adapters/dtls/DtlsServer.ts';
import { takeSealedSessions, writeSealedSessions } from '../src/adapters/dtls/SealedSessionFile.ts';
import type { CipherSuiteName } from '../src/adapters/dtls/CipherSuites.ts';
import type { DtlsSessionInfo } from '../src/adapters/dtls/DtlsSession.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import { selfSignedCertificate } from '../src/adapters/security/CertificateFiles.ts';
import { certificateHandshake } from '../test/adapters/dtls/support/MinimalCertificateClient.ts';
import type { ClientCertificate } from '../test/adapters/dtls/support/MinimalCertificateClient.ts';
import { MinimalPskClient } from '../test/adapters/dtls/support/MinimalPskClient.ts';

const HANDSHAKE_SECONDS = 4;
const ECHO_SECONDS = 3;
const PAYLOAD = Buffer.alloc(64, 0x5a);
const rows: Array<[string, string]> = [];
/** The PSK suites node-dtls-client implements too (it has no ChaCha20-Poly1305 and no certificate suites). */
type BenchedSuite = Extract<CipherSuiteName, 'TLS_PSK_WITH_AES_128_CCM_8' | 'TLS_PSK_WITH_AES_128_CBC_SHA256'>;

function selfSigned(commonName: string): ClientCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { certificate: selfSignedCertificate(commonName, privateKey, publicKey, new Date()), privateKey };
}
const serverCertificate = selfSigned('bench-server');
const clientCertificate = selfSigned('bench-device');
const server = new DtlsServer({
  logger: silentLogger(),
  pskLookup: (identity) => Promise.resolve(identity.toString() === 'bench' ? Buffer.from('0123456789abcdef') : undefined),
  certificates: {
    server: {
      privateKey: serverCertificate.privateKey,
      certificateChain: [serverCertificate.certificate],
      publicKeyInfo: Buffer.alloc(0), // raw public keys are not measured
    },
    lookup: () => Promise.resolve({ ok: true, identity: 'bench-device' }),
  },
  maxHandshakesPerAddress: 64,
});
server.on('datagram', (data, session) => server.send(session, data));
const { port } = await server.listen(0, '127.0.0.1');

function connect(cipher: BenchedSuite): Promise<dtls.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { bench: '0123456789abcdef' }, ciphers: [cipher], timeout: 5000 });
    socket.once('connected', () => resolve(socket));
    socket.once('error', reject);
  });
}

type ClientKind = 'node-dtls-client' | 'minimal client' | 'minimal client, resuming' | 'minimal certificate client';

async function handshakesPerSecond(kind: ClientKind, concurrency: number): Promise<number> {
  const first = kind === 'minimal client, resuming' ? await MinimalPskClient.connect(port, 'bench', '0123456789abcdef') : undefined;
  const session = first?.session;
  await first?.close();
  const deadline = performance.now() + HANDSHAKE_SECONDS * 1000;
  const start = performance.now();
  let completed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        if (kind === 'node-dtls-client') (await connect('TLS_PSK_WITH_AES_128_CCM_8')).close();
        else if (kind === 'minimal certificate client') await certificateHandshake(port, clientCertificate);
        else if (session !== undefined) await (await MinimalPskClient.resume(port, session)).close();
        else await (await MinimalPskClient.connect(port, 'bench', '0123456789abcdef')).close();
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - start) / 1000);
}

/** Round trips per second with `window` datagrams in flight, stopping at the deadline or after 1 s without progress. */
async function echoRate(send: (data: Buffer) => void, onEcho: (listener: () => void) => void, window: number): Promise<number> {
  const start = performance.now();
  const deadline = start + ECHO_SECONDS * 1000;
  let completed = 0;
  let lastProgress = start;
  await new Promise<void>((resolve) => {
    let finished = false;
    const watchdog = setInterval(() => {
      if (performance.now() - lastProgress > 1000 && !finished) {
        finished = true;
        clearInterval(watchdog);
        resolve();
      }
    }, 100);
    onEcho(() => {
      if (finished) return;
      completed++;
      lastProgress = performance.now();
      if (lastProgress >= deadline) {
        finished = true;
        clearInterval(watchdog);
        resolve();
        return;
      }
      send(PAYLOAD);
    });
    for (let i = 0; i < window; i++) send(PAYLOAD);
  });
  return completed / ((performance.now() - start) / 1000);
}

async function dtlsEcho(kind: ClientKind, cipher: BenchedSuite, window: number): Promise<number> {
  if (kind === 'node-dtls-client') {
    const socket = await connect(cipher);
    const rate = await echoRate((data) => socket.send(data), (listener) => socket.on('message', listener), window);
    socket.close();
    return rate;
  }
  const client = await MinimalPskClient.connect(port, 'bench', '0123456789abcdef', { suiteId: cipher === 'TLS_PSK_WITH_AES_128_CCM_8' ? 0xc0a8 : 0x00ae });
  const rate = await echoRate((data) => void client.send(data), (listener) => client.onData(listener), window);
  await client.close();
  return rate;
}

async function plainUdpEcho(window: number): Promise<number> {
  const echo = createSocket('udp4');
  echo.on('message', (message, remote) => echo.send(message, remote.port, remote.address));
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
  const client: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  const echoPort = echo.address().port;
  const rate = await echoRate((data) => client.send(data, echoPort, '127.0.0.1'), (listener) => client.on('message', listener), window);
  client.close();
  echo.close();
  return rate;
}

const format = (value: number): string => Math.round(value).toLocaleString('en-US');

for (const kind of ['node-dtls-client', 'minimal client'] as const) {
  // Sessions of finished handshakes are dropped at once, so that only handshakes are measured.
  const dropSession = (session: DtlsSessionInfo): void => server.closeSession(session.peer, 'benchmark done');
  server.on('sessionEstablished', dropSession);
  rows.push([`${kind}: handshakes/s, CCM_8, 1 client at a time`, format(await handshakesPerSecond(kind, 1))]);
  rows.push([`${kind}: handshakes/s, CCM_8, 8 clients at once`, format(await handshakesPerSecond(kind, 8))]);
  server.off('sessionEstablished', dropSession);
  for (const cipher of ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256'] as const) {
    const short = cipher.replace('TLS_PSK_WITH_AES_128_', '');
    rows.push([`${kind}: echo round trips/s, ${short}, 1 in flight`, format(await dtlsEcho(kind, cipher, 1))]);
    rows.push([`${kind}: echo round trips/s, ${short}, 32 in flight`, format(await dtlsEcho(kind, cipher, 32))]);
  }
}
{
  const dropSession = (session: DtlsSessionInfo): void => server.closeSession(session.peer, 'benchmark done');
  server.on('sessionEstablished', dropSession);
  const kind = 'minimal client, resuming';
  rows.push([`${kind}: abbreviated handshakes/s, CCM_8, 1 client at a time`, format(await handshakesPerSecond(kind, 1))]);
  rows.push([`${kind}: abbreviated handshakes/s, CCM_8, 8 clients at once`, format(await handshakesPerSecond(kind, 8))]);
  server.off('sessionEstablished', dropSession);
}
{
  const dropSession = (session: DtlsSessionInfo): void => server.closeSession(session.peer, 'benchmark done');
  server.on('sessionEstablished', dropSession);
  const kind = 'minimal certificate client';
  rows.push([`${kind}: handshakes/s, ECDHE_ECDSA CCM_8 (X.509 both ways), 1 client at a time`, format(await handshakesPerSecond(kind, 1))]);
  rows.push([`${kind}: handshakes/s, ECDHE_ECDSA CCM_8 (X.509 both ways), 8 clients at once`, format(await handshakesPerSecond(kind, 8))]);
  server.off('sessionEstablished', dropSession);
}
rows.push(['plain UDP: echo round trips/s, 1 in flight', format(await plainUdpEcho(1))]);
rows.push(['plain UDP: echo round trips/s, 32 in flight', format(await plainUdpEcho(32))]);
await server.close();
{
  // Sessions made by restoring one synthetic state 4,000 times under other peers: what is measured is
  // the state's path to the file and back, not handshakes.
  const restarting = new DtlsServer({ logger: silentLogger(), pskLookup: () => Promise.resolve(undefined) });
  const template = {
    epoch: 1,
    pskIdentity: Buffer.from('bench-device-0000'),
    authentication: 'psk' as const,
    credentialIdentity: undefined,
    cipherSuite: 'TLS_PSK_WITH_AES_128_CCM_8' as const,
    extendedMasterSecret: true,
    establishedAt: new Date(),
    readConnectionId: undefined,
    writeConnectionId: undefined,
    nextWriteSequence: 100,
    readWindow: { highest: 99, bitmap: 2n ** 64n - 1n },
  };
  restarting.restoreSessions(Array.from({ length: 4000 }, (_, index) => ({ ...template, peer: { address: '127.0.0.1', port: 10_000 + index }, keyBlock: randomBytes(40) })));
  const dir = mkdtempSync(join(tmpdir(), 'bench-dtls-state-'));
  const file = join(dir, 'dtls-sessions.sealed');
  const sealer = new AesGcmSecretSealer(randomBytes(32));
  const saveStart = performance.now();
  writeSealedSessions(file, { savedAt: new Date(), sessions: restarting.suspendSessions() }, sealer);
  const saveMs = performance.now() - saveStart;
  const restored = new DtlsServer({ logger: silentLogger(), pskLookup: () => Promise.resolve(undefined) });
  const restoreStart = performance.now();
  const count = restored.restoreSessions(takeSealedSessions(file, sealer, silentLogger()));
  const restoreMs = performance.now() - restoreStart;
  rmSync(dir, { recursive: true, force: true });
  rows.push([`graceful restart: 4,000 sessions suspended, sealed and written (ms)`, saveMs.toFixed(1)]);
  rows.push([`graceful restart: ${format(count)} sessions read, opened and restored (ms)`, restoreMs.toFixed(1)]);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(`DTLS server (loopback, client in the same process) — ${new Date().toISOString()}, ${cpus().length} cores (${cpu}), Node ${process.version}\n\n`);
process.stdout.write('| measurement (64-byte datagrams) | result |\n|---|---|\n');
for (const [name, result] of rows) process.stdout.write(`| ${name} | ${result} |\n`);
