/**
 * X509 and RPK devices on the LwM2M server's DTLS port end to end (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
 * and _AES_128_GCM_SHA256), driven by DTLS stacks nobody here wrote: OpenSSL's `s_client -dtls1_2`,
 * GnuTLS's `gnutls-cli --udp` (certificates and raw public keys), libcoap's `coap-client-openssl`
 * and `coap-client-gnutls`, and the mbedTLS peer of test/peers (built by test/peers/build.sh). Every key and certificate is made at test time by the OpenSSL command line;
 * the service generates its own certificate in its data directory on start, and the clients trust it.
 * Devices come from CSV text through the CSV import; a Register is a real CoAP POST /rd, sent by
 * libcoap, or written as bytes into s_client and gnutls-cli. The bootstrap server writes such devices
 * their Security object resources; the test client that takes them is ours (TestBootstrapClient).
 */
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'coap-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_CERTIFICATE_FILE } from '../../src/adapters/security/CertificateFiles.ts';
import { securityStream } from '../../src/domain/security/SecurityAuditEvents.ts';
import type { DtlsHandshakeFailed } from '../../src/domain/security/SecurityAuditEvents.ts';
import type { RegistrationRecord } from '../../src/domain/registration/RegistrationEvents.ts';
import type { RunningService } from '../../src/main.ts';
import { libcoapAvailable } from '../support/LibcoapClient.ts';
import { streamEvents, waitForStreamEvent } from '../support/StreamEvents.ts';
import { TestBootstrapClient } from '../support/TestBootstrapClient.ts';
import { TestCertificates } from '../support/TestCertificates.ts';
import type { TestCertificate, TestKeyPair } from '../support/TestCertificates.ts';
import { importTestDevices, startTestService } from './TestService.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-cert-e2e-'));
const dataDir = join(dir, 'data');
const files = new TestCertificates(dir);
const ca = files.authority('device-ca');
const otherCa = files.authority('other-ca');
const MBEDTLS = join(import.meta.dirname, '..', 'peers', 'bin', 'mbedtls-register');
const SUITES = [
  ['ECDHE-ECDSA-AES128-CCM8', 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8'],
  ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
] as const;

/** An X509 device per independent client, each with its CA-issued certificate. */
const x509 = {
  sClientCcm: files.issued('x509-s-client-ccm', '/CN=x509-s-client-ccm', ca),
  sClientGcm: files.issued('x509-s-client-gcm', '/CN=x509-s-client-gcm', ca),
  gnutls: files.issued('x509-gnutls', '/O=Acme/CN=x509-gnutls', ca),
  libcoap: files.issued('x509-libcoap', '/CN=x509-libcoap', ca),
  mbedtls: files.issued('x509-mbedtls', '/CN=x509-mbedtls', ca),
  /** Bound by its subject alternative name: it has no CN. */
  bySan: files.issued('x509-san', '/O=Acme', ca, { subjectAltName: 'DNS:x509-san' }),
  expired: files.issued('x509-expired', '/CN=x509-expired', ca, { days: -1 }),
  untrusted: files.issued('x509-untrusted', '/CN=x509-untrusted', otherCa),
  unknown: files.issued('x509-unknown', '/CN=nobody-has-this-endpoint', ca),
  pskDevice: files.issued('x509-psk', '/CN=cert-psk-device', ca),
  bootstrap: files.issued('x509-bootstrap', '/CN=x509-bootstrap', ca),
};
const selfSigned = files.authority('x509-pinned');
const rpk = { gnutls: files.keyPair('rpk-gnutls'), libcoap: files.keyPair('rpk-libcoap'), stranger: files.keyPair('rpk-stranger'), bootstrap: files.keyPair('rpk-bootstrap') };

const CSV_HEADER = 'endpoint id;securityMode;lwm2m server uri;lwm2m psk_id;lwm2m psk_key;bootstrap psk_id;bootstrap psk_key;publicKey;certificate';

function x509Row(endpoint: string, pinned = ''): string {
  return `${endpoint};X509;coaps://127.0.0.1:5684;;;;;;${pinned}`;
}

function rpkRow(endpoint: string, key: TestKeyPair): string {
  return `${endpoint};RPK;coaps://127.0.0.1:5684;;;;;${key.publicKeyInfoHex};`;
}

let service: RunningService;
let serverCertificate: string;

beforeAll(async () => {
  service = await startTestService(dataDir, ['--trust-store', ca.certificate]);
  serverCertificate = join(dataDir, GENERATED_CERTIFICATE_FILE);
  const rows = [
    ...['x509-s-client-ccm', 'x509-s-client-gcm', 'x509-gnutls', 'x509-libcoap', 'x509-mbedtls', 'x509-san', 'x509-expired', 'x509-untrusted'].map((endpoint) => x509Row(endpoint)),
    x509Row('x509-pinned', TestCertificates.derBase64(selfSigned.certificate)),
    'cert-psk-device;PSK;coaps://127.0.0.1:5684;cert-psk-id;0011223344556677;cert-psk-bs;0011223344556677;;',
    rpkRow('rpk-gnutls', rpk.gnutls),
    rpkRow('rpk-libcoap', rpk.libcoap),
    x509Row('x509-bootstrap', TestCertificates.derBase64(x509.bootstrap.certificate)),
    rpkRow('rpk-bootstrap', rpk.bootstrap),
  ];
  await importTestDevices(service, `${[CSV_HEADER, ...rows].join('\n')}\n`);
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A CoAP Register (LwM2M Transport 1.1 section 6.4.1) as bytes. */
function registerMessage(endpoint: string): Buffer {
  return generate({
    messageId: 0x2345,
    token: Buffer.from([9, 8, 7, 6]),
    code: 'POST',
    confirmable: true,
    options: [
      { name: 'Uri-Path', value: Buffer.from('rd') },
      { name: 'Content-Format', value: Buffer.from([40]) },
      { name: 'Uri-Query', value: Buffer.from(`ep=${endpoint}`) },
      { name: 'Uri-Query', value: Buffer.from('lt=300') },
      { name: 'Uri-Query', value: Buffer.from('lwm2m=1.1') },
    ],
    payload: Buffer.from('</1/0>,</3/0>'),
  });
}

async function registrationOf(endpoint: string, ms = 8_000): Promise<RegistrationRecord | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const registration = service.registrations.registration(endpoint);
    if (registration !== undefined || Date.now() > deadline) return registration;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs a TLS tool that sends its standard input as application data once its handshake is done, writes
 * a Register for `endpoint` into it, waits for `outcome`, and stops it. The tool's output comes back
 * for the failure message.
 */
async function registerThrough<T>(command: string, args: readonly string[], endpoint: string, outcome: () => Promise<T>): Promise<{ outcome: T; output: string }> {
  const tool = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  tool.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  tool.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  tool.stdin.write(registerMessage(endpoint));
  try {
    return { outcome: await outcome(), output };
  } finally {
    tool.kill();
  }
}

/** As registerThrough, waiting for the registration. */
async function registeredThrough(command: string, args: readonly string[], endpoint: string): Promise<{ registration: RegistrationRecord | undefined; output: string }> {
  const { outcome, output } = await registerThrough(command, args, endpoint, () => registrationOf(endpoint));
  return { registration: outcome, output };
}

function coapsRegisterUri(endpoint: string): string {
  return `coaps://127.0.0.1:${service.secure.lwm2m.local.port}/rd?ep=${endpoint}&lt=300&lwm2m=1.1`;
}

function libcoapRegister(client: 'coap-client-openssl' | 'coap-client-gnutls', credentials: readonly string[], endpoint: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(client, ['-B', '4', '-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>', ...credentials, coapsRegisterUri(endpoint)], { timeout: 10_000 }, (_error, stdout, stderr) =>
      resolve(`${stdout}${stderr}`),
    );
  });
}

async function handshakeFailure(stream: string, matches: (data: DtlsHandshakeFailed) => boolean): Promise<DtlsHandshakeFailed> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const failures = (await streamEvents(service.store, stream)).filter((event) => event.type === 'DtlsHandshakeFailed').map((event) => event.data as unknown as DtlsHandshakeFailed);
    const found = failures.find(matches);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching DtlsHandshakeFailed on ${stream}: ${JSON.stringify(failures)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('X509 devices', () => {
  it.each(SUITES.map(([openssl, suite], index) => [openssl, suite, index === 0 ? 'x509-s-client-ccm' : 'x509-s-client-gcm'] as const))(
    'openssl s_client -dtls1_2 -cipher %s registers its device with its CA-issued certificate',
    async (cipher, suite, endpoint) => {
      const certificate = endpoint === 'x509-s-client-ccm' ? x509.sClientCcm : x509.sClientGcm;
      const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${service.secure.lwm2m.local.port}`, '-cipher', cipher, '-cert', certificate.certificate, '-key', certificate.privateKey];
      const { registration, output } = await registeredThrough('openssl', [...args, '-CAfile', serverCertificate, '-verify_return_error', '-quiet', '-ign_eof'], endpoint);
      expect(registration, output).toMatchObject({ endpoint, channel: 'certificate', pskIdentity: null });
      expect(service.secure.lwm2mTransport.sessionOf({ address: registration?.address ?? '', port: registration?.port ?? 0 })).toMatchObject({
        authentication: 'x509',
        credentialIdentity: endpoint,
        cipherSuite: suite,
      });
    },
  );

  it('gnutls-cli --udp registers its device, bound by the CN of a subject with other attributes', async () => {
    const args = ['--udp', '--port', String(service.secure.lwm2m.local.port), '127.0.0.1', '--priority', 'NORMAL:-VERS-ALL:+VERS-DTLS1.2'];
    const credentials = ['--x509certfile', x509.gnutls.certificate, '--x509keyfile', x509.gnutls.privateKey, '--x509cafile', serverCertificate, '--verify-hostname', 'localhost'];
    const { registration, output } = await registeredThrough('gnutls-cli', [...args, ...credentials], 'x509-gnutls');
    expect(registration, output).toMatchObject({ endpoint: 'x509-gnutls', channel: 'certificate' });
  });

  it('a certificate without a CN is bound by its DNS subject alternative name', async () => {
    const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${service.secure.lwm2m.local.port}`, '-cert', x509.bySan.certificate, '-key', x509.bySan.privateKey];
    const { registration, output } = await registeredThrough('openssl', [...args, '-CAfile', serverCertificate, '-quiet', '-ign_eof'], 'x509-san');
    expect(registration, output).toMatchObject({ endpoint: 'x509-san', channel: 'certificate' });
  });

  it('a self-signed certificate the device row pins is trusted without the trust store', async () => {
    const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${service.secure.lwm2m.local.port}`, '-cert', selfSigned.certificate, '-key', selfSigned.privateKey];
    const { registration, output } = await registeredThrough('openssl', [...args, '-CAfile', serverCertificate, '-quiet', '-ign_eof'], 'x509-pinned');
    expect(registration, output).toMatchObject({ endpoint: 'x509-pinned', channel: 'certificate' });
  });

  describe.skipIf(!libcoapAvailable('coap-client-openssl'))('libcoap', () => {
    it('coap-client-openssl -c -j -C registers its device: 2.01', async () => {
      const output = await libcoapRegister('coap-client-openssl', ['-c', x509.libcoap.certificate, '-j', x509.libcoap.privateKey, '-C', serverCertificate], 'x509-libcoap');
      expect(output).not.toMatch(/4\.0\d/);
      expect(service.registrations.registration('x509-libcoap')).toMatchObject({ channel: 'certificate', lifetime: 300 });
    });

    it('a certificate bound to one device cannot register another endpoint: 4.03 and an audit event', async () => {
      const output = await libcoapRegister('coap-client-openssl', ['-c', x509.libcoap.certificate, '-j', x509.libcoap.privateKey, '-C', serverCertificate], 'x509-expired');
      expect(output).toContain('4.03');
      expect(service.registrations.registration('x509-expired')).toBeUndefined();
      const mismatch = await waitForStreamEvent(service.store, securityStream('x509-libcoap', '127.0.0.1'), 'CredentialEndpointMismatch');
      expect(mismatch.data).toMatchObject({ server: 'lwm2m', credential: 'x509', boundEndpoint: 'x509-libcoap', requestedEndpoint: 'x509-expired' });
    });
  });

  it.skipIf(!existsSync(MBEDTLS))("the mbedTLS peer, in its default configuration with a certificate, registers its device: 2.01", async () => {
    const args = ['--certificate', x509.mbedtls.certificate, x509.mbedtls.privateKey, serverCertificate, 'localhost', '127.0.0.1', String(service.secure.lwm2m.local.port), 'x509-mbedtls'];
    const run = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(MBEDTLS, args, { timeout: 25_000 }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` })),
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('handshake TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8');
    expect(service.registrations.registration('x509-mbedtls')).toMatchObject({ channel: 'certificate' });
  });

  describe.skipIf(!libcoapAvailable('coap-client-openssl'))('refused certificates, each an audit event without key material', () => {
    const refused = (certificate: TestCertificate, endpoint: string): Promise<string> =>
      libcoapRegister('coap-client-openssl', ['-c', certificate.certificate, '-j', certificate.privateKey, '-C', serverCertificate], endpoint);

    it('a certificate from a CA outside the trust store', async () => {
      const output = await refused(x509.untrusted, 'x509-untrusted');
      expect(output).not.toContain('2.01');
      expect(service.registrations.registration('x509-untrusted')).toBeUndefined();
      const failed = await handshakeFailure(securityStream('x509-untrusted', '127.0.0.1'), (data) => data.reason.includes('does not lead to the trust store'));
      expect(failed).toMatchObject({ server: 'lwm2m', endpoint: 'x509-untrusted', pskIdentity: null, credential: { kind: 'x509', subject: 'CN=x509-untrusted', namedEndpoint: 'x509-untrusted' } });
      const stored = JSON.stringify(failed);
      const keyPem = TestCertificates.pem(x509.untrusted.privateKey);
      for (const line of keyPem.split('\n').filter((text) => text.length > 20)) expect(stored).not.toContain(line);
    });

    it('an expired certificate', async () => {
      await refused(x509.expired, 'x509-expired');
      const failed = await handshakeFailure(securityStream('x509-expired', '127.0.0.1'), (data) => data.reason.includes('expired at'));
      expect(failed.credential).toMatchObject({ kind: 'x509', namedEndpoint: 'x509-expired' });
    });

    it('a certificate whose CN is no device: on the source address stream', async () => {
      await refused(x509.unknown, 'nobody-has-this-endpoint');
      const failed = await handshakeFailure(securityStream(null, '127.0.0.1'), (data) => data.credential?.namedEndpoint === 'nobody-has-this-endpoint');
      expect(failed).toMatchObject({ endpoint: null, reason: 'no device has the endpoint "nobody-has-this-endpoint" the certificate names' });
    });

    it('a trusted certificate naming a PSK device', async () => {
      await refused(x509.pskDevice, 'cert-psk-device');
      const failed = await handshakeFailure(securityStream('cert-psk-device', '127.0.0.1'), (data) => data.credential !== null);
      expect(failed.reason).toBe('device "cert-psk-device" is PSK, not X509');
      expect(service.registrations.registration('cert-psk-device')).toBeUndefined();
    });
  });
});

describe('RPK devices (RFC 7250)', () => {
  it('gnutls-cli --udp with a raw public key registers the device whose CSV publicKey it is', async () => {
    const args = ['--udp', '--port', String(service.secure.lwm2m.local.port), '127.0.0.1'];
    const priority = ['--priority', 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK:-CTYPE-CLI-X509:-CTYPE-SRV-X509'];
    // The server's raw key cannot be checked against a CA: the client takes it on trust here.
    const credentials = ['--rawpkkeyfile', rpk.gnutls.privateKey, '--rawpkfile', rpk.gnutls.publicKey, '--no-ca-verification'];
    const { registration, output } = await registeredThrough('gnutls-cli', [...args, ...priority, ...credentials], 'rpk-gnutls');
    expect(registration, output).toMatchObject({ endpoint: 'rpk-gnutls', channel: 'certificate', pskIdentity: null });
    expect(service.secure.lwm2mTransport.sessionOf({ address: registration?.address ?? '', port: registration?.port ?? 0 })).toMatchObject({
      authentication: 'rpk',
      credentialIdentity: 'rpk-gnutls',
    });
  });

  it.skipIf(!libcoapAvailable('coap-client-gnutls'))('coap-client-gnutls -M registers its RPK device: 2.01', async () => {
    const output = await libcoapRegister('coap-client-gnutls', ['-M', rpk.libcoap.privateKey], 'rpk-libcoap');
    expect(output).not.toMatch(/4\.0\d/);
    expect(service.registrations.registration('rpk-libcoap')).toMatchObject({ channel: 'certificate' });
  });

  it('a key no device has is refused, with an audit event on the source address', async () => {
    const args = ['--udp', '--port', String(service.secure.lwm2m.local.port), '127.0.0.1', '--priority', 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:+CTYPE-CLI-RAWPK:-CTYPE-CLI-X509'];
    const credentials = ['--rawpkkeyfile', rpk.stranger.privateKey, '--rawpkfile', rpk.stranger.publicKey, '--x509cafile', serverCertificate, '--verify-hostname', 'localhost'];
    const { outcome } = await registerThrough('gnutls-cli', [...args, ...credentials], 'rpk-gnutls', () =>
      handshakeFailure(securityStream(null, '127.0.0.1'), (data) => data.credential?.kind === 'rpk' && data.reason === 'no device has this raw public key'),
    );
    expect(outcome).toMatchObject({ endpoint: null, pskIdentity: null, credential: { kind: 'rpk', subject: null, namedEndpoint: null } });
    expect(outcome.credential?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('bootstrap of X509 and RPK devices (Security object, Core 1.1 Appendix E.1)', () => {
  const clients: TestBootstrapClient[] = [];
  afterAll(async () => {
    for (const client of clients) await client.close();
  });

  async function bootstrapped(endpoint: string): Promise<TestBootstrapClient> {
    const client = await TestBootstrapClient.start({ serverHost: '127.0.0.1', serverPort: service.bootstrap.local.port, endpoint });
    clients.push(client);
    expect(await client.requestBootstrap()).toBe('2.04');
    await client.finished;
    return client;
  }

  const opaque = (bytes: Buffer): { type: 'opaque'; value: Uint8Array } => ({ type: 'opaque', value: Uint8Array.from(bytes) });
  const serverCertificateDer = (): Buffer => new X509Certificate(readFileSync(serverCertificate)).raw;

  it('writes an X509 device mode 2, its pinned certificate and the service certificate, and no secret key', async () => {
    const device = await bootstrapped('x509-bootstrap');
    expect(device.lwm2mServerAccount()).toMatchObject({ uri: 'coaps://127.0.0.1:5684', securityMode: 2n, pskKey: undefined });
    // Offset 0 past the factory account assumed at /0/0: the LwM2M server account is /0/1.
    expect(device.value(0, 1, 3)).toEqual(opaque(Buffer.from(TestCertificates.derBase64(x509.bootstrap.certificate), 'base64')));
    expect(device.value(0, 1, 4)).toEqual(opaque(serverCertificateDer()));
  });

  it('writes an RPK device mode 1, its public key and the service public key', async () => {
    const device = await bootstrapped('rpk-bootstrap');
    expect(device.lwm2mServerAccount()).toMatchObject({ securityMode: 1n, pskIdentity: Uint8Array.from(Buffer.from(rpk.bootstrap.publicKeyInfoHex, 'hex')), pskKey: undefined });
    expect(device.value(0, 1, 4)).toEqual(opaque(new X509Certificate(serverCertificateDer()).publicKey.export({ format: 'der', type: 'spki' })));
  });
});
