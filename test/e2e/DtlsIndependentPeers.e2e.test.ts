/**
 * The service's DTLS (PSK) port against the C peers in test/peers, built by test/peers/build.sh on
 * Debian's mbedTLS and wolfSSL in their default configurations: the handshake is the library's, the
 * Register a plain CoAP POST /rd. PSK devices are imported from CSV text, so their keys reach the DTLS
 * server only through the sealed values.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityStream } from '../../src/domain/security/SecurityAuditEvents.ts';
import { registrationStream } from '../../src/domain/registration/RegistrationEvents.ts';
import type { RunningService } from '../../src/main.ts';
import { csv, minimalPskRow } from '../support/BootstrapTestData.ts';
import type { PskRowCredentials } from '../support/BootstrapTestData.ts';
import { streamEvents, waitForStreamEvent } from '../support/StreamEvents.ts';
import { importTestDevices, startTestService } from './TestService.ts';

const PEERS_DIR = join(import.meta.dirname, '..', 'peers', 'bin');
const MBEDTLS = join(PEERS_DIR, 'mbedtls-register');
const WOLFSSL = join(PEERS_DIR, 'wolfssl-register');

function device(name: string, lwm2mPskKey: string): PskRowCredentials {
  return { endpoint: `peer-${name}`, lwm2mPskId: `peer-${name}-id`, lwm2mPskKey, bootstrapPskId: `peer-${name}-bs-id`, bootstrapPskKey: 'a5b6c7d8e9fa0b1c' };
}

const MBEDTLS_DEFAULT = device('mbedtls', '00112233445566778899aabbccddeeff');
const MBEDTLS_LOWEST_MINIMUM = device('mbedtls-lowest-min', '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
const MBEDTLS_WRONG_KEY = device('mbedtls-wrong-key', 'c0ffeec0ffeec0ffeec0ffeec0ffeec0');
const MBEDTLS_RESUMING = device('mbedtls-resuming', '1a2b3c4d5e6f708192a3b4c5d6e7f809');
const WOLFSSL_DEFAULT = device('wolfssl', 'fedcba98765432100123456789abcdef');

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-peers-e2e-'));
let service: RunningService;

beforeAll(async () => {
  service = await startTestService(dir);
  await importTestDevices(service, csv(...[MBEDTLS_DEFAULT, MBEDTLS_LOWEST_MINIMUM, MBEDTLS_WRONG_KEY, MBEDTLS_RESUMING, WOLFSSL_DEFAULT].map(minimalPskRow)));
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

interface PeerRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a peer against the LwM2M server's DTLS port; the peer gives up by itself after 20 s. */
function runPeer(binary: string, options: readonly string[], credentials: PskRowCredentials, key = credentials.lwm2mPskKey): Promise<PeerRun> {
  const args = [...options, '127.0.0.1', String(service.secure.lwm2m.local.port), credentials.lwm2mPskId, key, credentials.endpoint, '300'];
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

async function expectRegistered(run: PeerRun, credentials: PskRowCredentials): Promise<void> {
  expect(run, run.stderr).toMatchObject({ exitCode: 0 });
  const registration = service.registrations.registration(credentials.endpoint);
  expect(registration).toMatchObject({ endpoint: credentials.endpoint, channel: 'psk', pskIdentity: credentials.lwm2mPskId, lifetime: 300, binding: 'U', lwm2mVersion: '1.1' });
  expect(run.stdout).toContain('response 2.01');
  expect(run.stdout).toContain(`location-path /rd/${registration?.registrationId ?? '?'}`);
  const registered = (await streamEvents(service.store, registrationStream(credentials.endpoint))).find((event) => event.type === 'DeviceRegistered');
  expect(registered?.data).toMatchObject({ registration: { channel: 'psk', pskIdentity: credentials.lwm2mPskId } });
}

// Skipped, and reported as skipped, only where test/peers/build.sh has not run (it needs Debian's
// libmbedtls-dev and libwolfssl-dev); .ci/run always builds the peers.
const mbedtlsBuilt = existsSync(MBEDTLS);
const wolfsslBuilt = existsSync(WOLFSSL);
if (!mbedtlsBuilt) process.stderr.write(`DtlsIndependentPeers e2e: ${MBEDTLS} not built (run test/peers/build.sh), its tests are skipped\n`);
if (!wolfsslBuilt) process.stderr.write(`DtlsIndependentPeers e2e: ${WOLFSSL} not built (run test/peers/build.sh), its test is skipped\n`);

describe.skipIf(!mbedtlsBuilt)('mbedTLS DTLS client (Debian libmbedtls, default configuration)', () => {
  it('completes the handshake with AES-128-CCM-8 and registers: 2.01 with the registration\'s Location-Path', async () => {
    const run = await runPeer(MBEDTLS, [], MBEDTLS_DEFAULT);
    expect(run.stdout).toContain('handshake TLS-PSK-WITH-AES-128-CCM-8');
    await expectRegistered(run, MBEDTLS_DEFAULT);
  });

  // mbedTLS then writes {254, 0} as its first ClientHello's record version and drops a HelloVerifyRequest
  // whose record says the same: the server must say DTLS 1.0 there (RFC 6347 section 4.2.1).
  it('registers with its minimum version at the lowest mbedTLS accepts', async () => {
    await expectRegistered(await runPeer(MBEDTLS, ['--lowest-min-version'], MBEDTLS_LOWEST_MINIMUM), MBEDTLS_LOWEST_MINIMUM);
  });

  // RFC 5246 section 7.3: mbedTLS offers the session it kept (mbedtls_ssl_set_session) from a new socket,
  // and the server resumes it: the same session ID, no key exchange, the same PSK identity as before.
  it('resumes its session in an abbreviated handshake from a new port and registers again', async () => {
    const run = await runPeer(MBEDTLS, ['--resume'], MBEDTLS_RESUMING);
    expect(run.stdout).toContain('resumed yes');
    expect(run.stdout.match(/response 2\.01/g)).toHaveLength(2);
    await expectRegistered(run, MBEDTLS_RESUMING);
  });

  it('fails the handshake cleanly with a wrong key: no registration, an audit event without the key', async () => {
    const wrongKey = '0123456789abcdef0123456789abcdef';
    const run = await runPeer(MBEDTLS, [], MBEDTLS_WRONG_KEY, wrongKey);
    expect(run.exitCode).toBe(3); // the peer's "DTLS failed", not its timeout
    expect(run.stderr).toContain('DTLS handshake failed');
    expect(run.stdout).not.toContain('response');
    expect(service.registrations.registration(MBEDTLS_WRONG_KEY.endpoint)).toBeUndefined();
    const failed = await waitForStreamEvent(service.store, securityStream(MBEDTLS_WRONG_KEY.endpoint, '127.0.0.1'), 'DtlsHandshakeFailed');
    expect(failed.data).toMatchObject({ server: 'lwm2m', pskIdentity: MBEDTLS_WRONG_KEY.lwm2mPskId, endpoint: MBEDTLS_WRONG_KEY.endpoint, address: '127.0.0.1' });
    const stored = JSON.stringify(failed);
    for (const secret of [MBEDTLS_WRONG_KEY.lwm2mPskKey, wrongKey]) expect(stored).not.toContain(secret);
  });
});

describe.skipIf(!wolfsslBuilt)('wolfSSL DTLS client (Debian libwolfssl, default configuration)', () => {
  // Debian's wolfSSL is built without WOLFSSL_STATIC_PSK: with a PSK it offers (EC)DHE-PSK suites and, as
  // its only other PSK suite, TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 (RFC 7905).
  it('completes the handshake with ChaCha20-Poly1305 and registers: 2.01 with the registration\'s Location-Path', async () => {
    const run = await runPeer(WOLFSSL, [], WOLFSSL_DEFAULT);
    expect(run.stdout).toContain('handshake DTLSv1.2 PSK-CHACHA20-POLY1305');
    await expectRegistered(run, WOLFSSL_DEFAULT);
  });
});
