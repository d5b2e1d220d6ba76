/** The server certificate files: generated once into the data directory, or read from the operator's PEM files and checked. */
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { GENERATED_CERTIFICATE_FILE, GENERATED_PRIVATE_KEY_FILE, loadServerCertificate, readTrustStore } from '../../../src/adapters/security/CertificateFiles.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { TestCertificates } from '../../support/TestCertificates.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-certificate-files-'));
  dirs.push(dir);
  return dir;
}

const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
const options = (dataDir: string, certificatePath = '', privateKeyPath = '') => ({ certificatePath, privateKeyPath, dataDir, commonName: 'hub.example', clock, logger: silentLogger() });

describe('loadServerCertificate', () => {
  it('generates a self-signed secp256r1 certificate with a 0600 key on the first start, and reads it back after', async () => {
    const dataDir = tempDir();
    const first = await loadServerCertificate(options(dataDir));
    expect(first.source).toBe('generated');
    expect(statSync(join(dataDir, GENERATED_PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    // OpenSSL, an independent reader, takes it as a valid self-signed certificate.
    const certificatePath = join(dataDir, GENERATED_CERTIFICATE_FILE);
    expect(execFileSync('openssl', ['verify', '-attime', String(clock.now().getTime() / 1000 + 60), '-CAfile', certificatePath, certificatePath]).toString()).toContain(': OK');
    const certificate = new X509Certificate(readFileSync(certificatePath));
    expect(certificate.subject).toBe('CN=hub.example');
    expect(certificate.validFromDate).toEqual(clock.now());
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(first.credential.publicKeyInfo).toEqual(certificate.publicKey.export({ format: 'der', type: 'spki' }));

    const second = await loadServerCertificate(options(dataDir));
    expect(second.source).toBe('data directory');
    expect(second.credential.certificateChain).toEqual(first.credential.certificateChain);
  });

  it("reads the operator's chain and key, the server's certificate first", async () => {
    const dir = tempDir();
    const files = new TestCertificates(dir);
    const ca = files.authority('ca');
    const server = files.issued('server', '/CN=hub.example', ca);
    const chain = join(dir, 'chain.pem');
    writeFileSync(chain, readFileSync(server.certificate, 'utf8') + readFileSync(ca.certificate, 'utf8'));
    const loaded = await loadServerCertificate(options(dir, chain, server.privateKey));
    expect(loaded.source).toBe('files');
    expect(loaded.credential.certificateChain.map((der) => new X509Certificate(der).subject)).toEqual(['CN=hub.example', 'CN=ca']);
  });

  it('says what is wrong with the files', async () => {
    const dir = tempDir();
    const files = new TestCertificates(dir);
    const ca = files.authority('ca');
    const server = files.issued('server', '/CN=hub.example', ca);
    await expect(loadServerCertificate(options(dir, server.certificate))).rejects.toThrow('--server-certificate and --server-private-key go together');
    await expect(loadServerCertificate(options(dir, server.certificate, ca.privateKey))).rejects.toThrow(`the first certificate of ${server.certificate} is not the private key's`);
    const rsaKey = join(dir, 'rsa.key');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsaKey], { stdio: 'ignore' });
    await expect(loadServerCertificate(options(dir, server.certificate, rsaKey))).rejects.toThrow('must be an ECDSA secp256r1 (P-256) key');
    await expect(loadServerCertificate(options(dir, server.privateKey, server.privateKey))).rejects.toThrow(`the server certificate file ${server.privateKey} holds no PEM certificate`);
    await expect(loadServerCertificate(options(dir, join(dir, 'missing.pem'), server.privateKey))).rejects.toThrow('cannot read the server certificate file');
  });
});

describe('readTrustStore', () => {
  it('reads every certificate of the bundle, and none without a path', async () => {
    const dir = tempDir();
    const files = new TestCertificates(dir);
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, readFileSync(files.authority('ca-1').certificate, 'utf8') + readFileSync(files.authority('ca-2').certificate, 'utf8'));
    expect((await readTrustStore(bundle)).map((certificate) => certificate.subject)).toEqual(['CN=ca-1', 'CN=ca-2']);
    expect(await readTrustStore('')).toEqual([]);
  });
});
