/**
 * The DTLS server's certificate suites against OpenSSL's `s_client -dtls1_2`, with a lookup that binds
 * one certificate: what the server asks of a client, what it refuses and why, and a server chain too
 * big for one datagram.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DtlsServer } from '../../../src/adapters/dtls/DtlsServer.ts';
import type { CertificateAuthentication, CredentialLookup } from '../../../src/adapters/dtls/PeerCredential.ts';
import type { PeerAddress } from '../../../src/adapters/dtls/PeerAddress.ts';
import type { RefusedCredential } from '../../../src/adapters/dtls/ServerHandshake.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { TestCertificates } from '../../support/TestCertificates.ts';
import type { TestCertificate } from '../../support/TestCertificates.ts';
import { certificateHandshake } from './support/MinimalCertificateClient.ts';
import { UdpRelay } from './support/UdpRelay.ts';
import { waitFor } from './support/waitFor.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-certificates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = new TestCertificates(dir);
const ca = files.authority('ca');
const serverCertificate = files.issued('server', '/CN=hub.example', ca);
const device = files.issued('device', '/CN=device-1', ca);

const servers: DtlsServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

interface Harness {
  readonly port: number;
  readonly failures: Array<{ reason: string; credential: RefusedCredential | undefined }>;
  readonly received: Buffer[];
}

/** Binds a credential to "device-1" only when it is the device's certificate; anything else is unbound. */
const bindDevice: CredentialLookup = (credential) =>
  Promise.resolve(
    credential.kind === 'x509' && credential.chain[0]?.subject === 'CN=device-1'
      ? { ok: true, identity: 'device-1' }
      : { ok: false, kind: 'unbound', reason: 'not the test device', identity: null },
  );

/** A server with `own` as its certificate and key, followed by `intermediates`; PSK only without `own`. */
async function start(own: TestCertificate | undefined, intermediates: readonly TestCertificate[] = []): Promise<Harness> {
  const der = (certificate: TestCertificate): Buffer => new X509Certificate(readFileSync(certificate.certificate)).raw;
  const certificates: CertificateAuthentication | undefined =
    own === undefined
      ? undefined
      : {
          server: {
            privateKey: createPrivateKey(readFileSync(own.privateKey)),
            certificateChain: [own, ...intermediates].map(der),
            publicKeyInfo: new X509Certificate(der(own)).publicKey.export({ format: 'der', type: 'spki' }),
          },
          lookup: bindDevice,
        };
  const server = new DtlsServer({ logger: silentLogger(), pskLookup: () => Promise.resolve(undefined), handshakeTimeoutMs: 3000, ...(certificates === undefined ? {} : { certificates }) });
  servers.push(server);
  const harness: Harness = { port: 0, failures: [], received: [] };
  server.on('handshakeFailed', (_peer: PeerAddress, reason, _identity, credential) => harness.failures.push({ reason, credential }));
  server.on('datagram', (data) => harness.received.push(data));
  return { ...harness, port: (await server.listen(0)).port };
}

/** s_client with `args`, sending "hello" once connected; resolves when `done` holds (or fails after 5 s). */
async function sClient(port: number, args: readonly string[], done: () => boolean): Promise<string> {
  const client = spawn('openssl', ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${port}`, '-quiet', '-ign_eof', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  client.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  client.stdin.write('hello');
  try {
    await waitFor(done, 's_client', 5000);
  } catch {
    throw new Error(`s_client did not get there:\n${output}`);
  } finally {
    client.kill();
  }
  return output;
}

describe('certificate suites with s_client', () => {
  it('refuses a client that sends no certificate: mutual authentication is required (RFC 7925 section 4.4.2)', async () => {
    const h = await start(serverCertificate);
    await sClient(h.port, ['-CAfile', ca.certificate, '-cipher', 'ECDHE-ECDSA-AES128-CCM8'], () => h.failures.length > 0);
    expect(h.failures[0]?.reason).toBe('the client sent no certificate (the certificate suites require mutual authentication)');
    expect(h.received).toEqual([]);
  });

  it('reports the refused credential without key material', async () => {
    const h = await start(serverCertificate);
    const stranger = files.issued('stranger', '/CN=stranger', ca);
    await sClient(h.port, ['-CAfile', ca.certificate, '-cert', stranger.certificate, '-key', stranger.privateKey], () => h.failures.length > 0);
    const fingerprint = new X509Certificate(readFileSync(stranger.certificate)).fingerprint256.replaceAll(':', '').toLowerCase();
    expect(h.failures).toEqual([{ reason: 'not the test device', credential: { kind: 'x509', identity: null, subject: 'CN=stranger', fingerprint } }]);
  });

  it('sends a server chain bigger than a datagram in fragments (RFC 6347 section 4.2.3), and the client verifies it to the root', async () => {
    let issuer = ca;
    const intermediates: TestCertificate[] = [];
    for (let level = 1; level <= 4; level++) {
      issuer = files.issued(`level-${level}`, `/CN=level-${level}`, issuer, { ca: true });
      intermediates.unshift(issuer);
    }
    const leaf = files.issued('deep-server', '/CN=hub.example', issuer);
    const h = await start(leaf, intermediates);
    const relay = await UdpRelay.start(h.port);
    const output = await sClient(relay.port, ['-CAfile', ca.certificate, '-cert', device.certificate, '-key', device.privateKey, '-verify_return_error'], () => h.received.length > 0);
    await relay.close();
    expect(output).toContain('depth=5 CN = ca');
    expect(h.received.map((data) => data.toString())).toEqual(['hello']);
    const flight4 = relay.fromServer.slice(1, -1); // after the HelloVerifyRequest, before the final flight
    expect(flight4.reduce((total, datagram) => total + datagram.length, 0)).toBeGreaterThan(1200);
    expect(Math.max(...relay.fromServer.map((datagram) => datagram.length))).toBeLessThanOrEqual(1200);
  });

  it('refuses a client whose CertificateVerify is not signed with its certificate key (RFC 5246 section 7.4.8)', async () => {
    // Only our own client can present a certificate without holding its key: independent ones refuse to.
    const h = await start(serverCertificate);
    const certificate = new X509Certificate(readFileSync(device.certificate)).raw;
    const otherKey = createPrivateKey(readFileSync(files.keyPair('not-the-device-key').privateKey));
    await expect(certificateHandshake(h.port, { certificate, privateKey: otherKey })).rejects.toThrow();
    expect(h.failures.map((failure) => failure.reason)).toEqual(['the CertificateVerify signature does not verify (the client does not hold the key of its certificate)']);
    await certificateHandshake(h.port, { certificate, privateKey: createPrivateKey(readFileSync(device.privateKey)) });
    expect(h.failures).toHaveLength(1);
  });

  it('offers no certificate suite without a server certificate', async () => {
    const h = await start(undefined);
    await sClient(h.port, ['-CAfile', ca.certificate, '-cert', device.certificate, '-key', device.privateKey], () => h.failures.length > 0);
    expect(h.failures[0]?.reason).toBe('no cipher suite in common');
  });

  it('establishes a session with the bound device and hands its data up', async () => {
    const h = await start(serverCertificate);
    await sClient(h.port, ['-CAfile', ca.certificate, '-cert', device.certificate, '-key', device.privateKey, '-verify_return_error'], () => h.received.length > 0);
    expect(h.received.map((data) => data.toString())).toEqual(['hello']);
  });
});
