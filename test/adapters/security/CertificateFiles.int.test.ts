/** The server certificate files: generated once into the data directory, or read from the operator's PEM files and checked. */
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { GENERATED_CERTIFICATE_FILE, GENERATED_PRIVATE_KEY_FILE, loadServerCertificate, readTrustStore, selfSignedCertificate } from '../../../src/adapters/security/CertificateFiles.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { seededRandom } from '../../support/SeededRandom.ts';
import { TestCertificates } from '../../support/TestCertificates.ts';

const generateUntilKilled = join(import.meta.dirname, 'fixtures', 'generateUntilKilled.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-certificate-files-'));
  dirs.push(dir);
  return dir;
}

const killSeed = Number(process.env['CERTIFICATE_KILL_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
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

  // The kill moments are drawn from a seeded generator; the seed is in the test's name, and CERTIFICATE_KILL_SEED replays it.
  it(`starts after a first start killed at any moment: the pair is read whole or generated again, never half (CERTIFICATE_KILL_SEED=${killSeed})`, async () => {
    const random = seededRandom(killSeed);
    const failures: string[] = [];
    for (let iteration = 0; iteration < 30; iteration++) {
      const root = tempDir();
      const child = spawn(process.execPath, [generateUntilKilled, root], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve) => createInterface({ input: child.stdout }).on('line', (line) => line === 'ready' && resolve()));
      await sleep(random() * 30);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      // The directory of the start the kill interrupted: the one with the highest number (the earlier ones are whole).
      const starts = readdirSync(root).map(Number).sort((a, b) => b - a);
      const interrupted = join(root, String(starts[0] ?? 0));
      try {
        const loaded = await loadServerCertificate(options(interrupted));
        expect(loaded.credential.certificateChain).toHaveLength(1);
      } catch (error) {
        failures.push(`iteration ${iteration} (${readdirSync(interrupted).join(', ')}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('generates the pair again over a key left without its certificate, ignoring temporary files left by a killed start', async () => {
    const dataDir = tempDir();
    const keyPath = join(dataDir, GENERATED_PRIVATE_KEY_FILE);
    const certificatePath = join(dataDir, GENERATED_CERTIFICATE_FILE);
    writeFileSync(keyPath, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(`${keyPath}.partial`, '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49');
    writeFileSync(`${certificatePath}.partial`, '-----BEGIN CERTIFICATE-----\nMIIB');
    const loaded = await loadServerCertificate(options(dataDir));
    expect(loaded.source).toBe('generated');
    expect(readdirSync(dataDir).sort()).toEqual([GENERATED_CERTIFICATE_FILE, GENERATED_PRIVATE_KEY_FILE]);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect((await loadServerCertificate(options(dataDir))).credential.publicKeyInfo).toEqual(loaded.credential.publicKeyInfo);
  });

  it('says which generated file cannot be read, and how to start again', async () => {
    const dataDir = tempDir();
    await loadServerCertificate(options(dataDir));
    const certificatePath = join(dataDir, GENERATED_CERTIFICATE_FILE);
    writeFileSync(certificatePath, '');
    const refused = loadServerCertificate(options(dataDir));
    await expect(refused).rejects.toThrow(`the server certificate file ${certificatePath} holds no PEM certificate`);
    await expect(refused).rejects.toThrow(`delete both ${certificatePath} and ${join(dataDir, GENERATED_PRIVATE_KEY_FILE)} to generate a new pair`);
    await expect(refused).rejects.toThrow('devices given the old server public key (by the bootstrap server or by hand) must then be bootstrapped again');
    expect(existsSync(certificatePath)).toBe(true);
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

describe('selfSignedCertificate', () => {
  it('writes a serial number OpenSSL accepts, whatever the random octets', () => {
    // RFC 5280 section 4.1.2.2 with DER's minimal INTEGER (X.690 section 8.3.2): a random serial whose first
    // octet is zero is refused about once in 512 certificates; 3000 of them make such a draw near certain.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const unparsable = Array.from({ length: 3000 }, () => selfSignedCertificate('hub.example', privateKey, publicKey, clock.now())).filter((der) => {
      try {
        return new X509Certificate(der).serialNumber === '';
      } catch {
        return true;
      }
    });
    expect(unparsable).toHaveLength(0);
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
