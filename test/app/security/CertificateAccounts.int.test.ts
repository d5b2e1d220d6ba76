/**
 * CertificateAccounts against devices imported from CSV text, with certificates and keys made by the
 * OpenSSL command line and a manual clock for the validity dates: what each credential is bound to,
 * and each refusal's reason.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { CertificateAccounts } from '../../../src/app/security/CertificateAccounts.ts';
import type { PeerCredential } from '../../../src/adapters/dtls/PeerCredential.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { TestCertificates } from '../../support/TestCertificates.ts';
import type { TestCertificate } from '../../support/TestCertificates.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-certificate-accounts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = new TestCertificates(dir);
const root = files.authority('root');
const intermediate = files.issued('intermediate', '/CN=intermediate', root, { ca: true });
const leafOfIntermediate = files.issued('chained', '/CN=chained-dev', intermediate);
const direct = files.issued('direct', '/CN=direct-dev', root);
const bySan = files.issued('san', '/O=Acme', root, { subjectAltName: 'URI:urn:dev:san-dev, DNS:ignored' });
const twoNames = files.issued('two-names', '/CN=direct-dev/CN=chained-dev', root);
const notCa = files.issued('not-ca', '/CN=not-a-ca', root);
const behindNotCa = files.issued('behind-not-ca', '/CN=chained-dev', notCa);
const pinned = files.authority('pinned-dev');
const key = files.keyPair('rpk');
const otherKey = files.keyPair('rpk-other');

function x509(...certificates: TestCertificate[]): PeerCredential {
  return { kind: 'x509', chain: certificates.map((certificate) => new X509Certificate(readFileSync(certificate.certificate))) };
}

function rpk(publicKeyInfoHex: string): PeerCredential {
  return { kind: 'rpk', publicKeyInfo: Buffer.from(publicKeyInfoHex, 'hex') };
}

const HEADER = 'endpoint id;securityMode;lwm2m psk_id;lwm2m psk_key;bootstrap psk_id;bootstrap psk_key;publicKey;certificate';

async function accounts(clock = new ManualClock(Date.now())): Promise<CertificateAccounts> {
  const store = new MemoryEventStore();
  const rows = [
    'direct-dev;X509;;;;;;',
    'chained-dev;X509;;;;;;',
    'urn:dev:san-dev;X509;;;;;;',
    `pinned-dev;X509;;;;;;${TestCertificates.derBase64(pinned.certificate)}`,
    'not-a-ca;PSK;not-a-ca;00112233;not-a-ca-bs;00112233;;',
    `rpk-dev;RPK;;;;;${key.publicKeyInfoHex};`,
  ];
  const report = await new DeviceImportService({ readCsv: readDeviceCsv, store, sealer: new AesGcmSecretSealer(Buffer.alloc(32, 3)), logger: silentLogger() }).importDevices(
    `${[HEADER, ...rows].join('\n')}\n`,
    { actor: 'test', correlationId: 'certificate-accounts' },
  );
  expect(report.errors).toEqual([]);
  return new CertificateAccounts({ store, trustAnchors: [new X509Certificate(readFileSync(root.certificate))], clock });
}

describe('CertificateAccounts: X.509', () => {
  it('binds a certificate to its subject CN, through a presented intermediate, or by its first DNS or URI SAN without a CN', async () => {
    const subject = await accounts();
    expect(await subject.accountOf(x509(direct))).toEqual({ ok: true, endpoint: 'direct-dev' });
    expect(await subject.accountOf(x509(leafOfIntermediate, intermediate))).toEqual({ ok: true, endpoint: 'chained-dev' });
    expect(await subject.accountOf(x509(bySan))).toEqual({ ok: true, endpoint: 'urn:dev:san-dev' });
  });

  it('refuses a chain that does not lead to the trust store, or leads there through a certificate that is no CA', async () => {
    const subject = await accounts();
    expect(await subject.accountOf(x509(leafOfIntermediate))).toMatchObject({ ok: false, refusal: { reason: 'untrusted-chain', endpoint: 'chained-dev' } });
    expect(await subject.accountOf(x509(behindNotCa, notCa))).toMatchObject({ ok: false, refusal: { reason: 'untrusted-chain' } });
  });

  it('checks the validity of every certificate of the path at the clock', async () => {
    const later = new ManualClock(Date.now());
    const subject = await accounts(later);
    later.advanceSeconds(3 * 86_400); // the leaf is valid for a day, the CAs for two
    const expired = await subject.accountOf(x509(leafOfIntermediate, intermediate));
    expect(expired).toMatchObject({ ok: false, refusal: { reason: 'expired' } });
    expect(expired.ok ? '' : expired.refusal.message).toMatch(/^the certificate "CN=chained-dev" expired at /);
    const earlier = await accounts(new ManualClock(Date.now() - 86_400_000));
    expect(await earlier.accountOf(x509(direct))).toMatchObject({ ok: false, refusal: { reason: 'not-yet-valid' } });
  });

  it('takes a pinned certificate by itself and refuses another one for that device', async () => {
    const subject = await accounts();
    expect(await subject.accountOf(x509(pinned))).toEqual({ ok: true, endpoint: 'pinned-dev' });
    const impostor = files.issued('pinned-impostor', '/CN=pinned-dev', root);
    expect(await subject.accountOf(x509(impostor))).toMatchObject({ ok: false, refusal: { reason: 'pinned-certificate-mismatch', endpoint: 'pinned-dev' } });
  });

  it('refuses names that are no X509 device, and a certificate with two CNs', async () => {
    const subject = await accounts();
    expect(await subject.accountOf(x509(files.issued('stranger', '/CN=stranger', root)))).toMatchObject({ ok: false, refusal: { reason: 'unknown-device', endpoint: 'stranger' } });
    expect(await subject.accountOf(x509(files.issued('psk-name', '/CN=not-a-ca', root)))).toMatchObject({ ok: false, refusal: { reason: 'wrong-security-mode', message: 'device "not-a-ca" is PSK, not X509' } });
    expect(await subject.accountOf(x509(twoNames))).toMatchObject({ ok: false, refusal: { reason: 'no-endpoint-name', endpoint: null } });
  });
});

describe('CertificateAccounts: raw public keys', () => {
  it('binds a key to the RPK device whose publicKey it is, and nothing else', async () => {
    const subject = await accounts();
    expect(await subject.accountOf(rpk(key.publicKeyInfoHex))).toEqual({ ok: true, endpoint: 'rpk-dev' });
    expect(await subject.accountOf(rpk(otherKey.publicKeyInfoHex))).toEqual({ ok: false, refusal: { reason: 'unknown-public-key', message: 'no device has this raw public key', endpoint: null } });
  });

  it('answers the DTLS server with the alert kind of each refusal', async () => {
    const subject = await accounts();
    expect(await subject.dtlsLookup(rpk(key.publicKeyInfoHex))).toEqual({ ok: true, identity: 'rpk-dev' });
    expect(await subject.dtlsLookup(rpk(otherKey.publicKeyInfoHex))).toMatchObject({ ok: false, kind: 'unbound' });
    expect(await subject.dtlsLookup(x509(leafOfIntermediate))).toMatchObject({ ok: false, kind: 'untrusted', identity: 'chained-dev' });
  });
});
