/**
 * The certificate files of the service. The operator's trust store (`--trust-store`): a PEM bundle of
 * the CA certificates X509 devices' chains must lead to (CertificateAccounts.ts).
 *
 * The server's own certificate and private key for the certificate suites (DTLS ECDHE_ECDSA, RFC 7925
 * section 4.4): read from the PEM files the operator names (`--server-certificate`, the server's own
 * certificate first and then any intermediates; `--server-private-key`), or, when neither is named,
 * from `server-certificate.pem` and `server-private-key.pem` in the data directory, generated on the
 * first start as a self-signed secp256r1 certificate whose subject CN is the public host name (the key
 * file written 0600, as the master key's). Devices then pin it: the bootstrap server writes it to them
 * (Security object /0/x/4), and it is in the data directory to hand to devices bootstrapped otherwise.
 *
 * The key must be an ECDSA secp256r1 key: the one curve of the profile (RFC 7925 section 4.4.1), and the
 * one the handshake signs with. The certificate is built with @peculiar/asn1-x509 (node:crypto reads
 * certificates but cannot write one) and signed with node:crypto.
 */
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import type { Clock } from '../../domain/Clock.ts';
import type { ServerCredential } from '../dtls/PeerCredential.ts';
import type { Logger } from '../logging/Logger.ts';

export const GENERATED_CERTIFICATE_FILE = 'server-certificate.pem';
export const GENERATED_PRIVATE_KEY_FILE = 'server-private-key.pem';

/** RFC 5758 section 3.2: ecdsa-with-SHA256. */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** X.520 commonName. */
const COMMON_NAME = '2.5.4.3';
/** A generated certificate's lifetime: devices pin it, so it should outlive them; renewing it means bootstrapping them again. */
const GENERATED_VALIDITY_YEARS = 20;

export class ServerCertificateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ServerCertificateError';
  }
}

export interface ServerCertificateOptions {
  /** PEM chain, the server's certificate first; '' with `privateKeyPath` '' means the generated pair. */
  readonly certificatePath: string;
  readonly privateKeyPath: string;
  readonly dataDir: string;
  /** The generated certificate's subject CN. */
  readonly commonName: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface LoadedServerCertificate {
  readonly credential: ServerCredential;
  readonly source: 'files' | 'generated' | 'data directory';
}

export async function loadServerCertificate(options: ServerCertificateOptions): Promise<LoadedServerCertificate> {
  const { certificatePath, privateKeyPath } = options;
  if ((certificatePath === '') !== (privateKeyPath === '')) {
    throw new ServerCertificateError('--server-certificate and --server-private-key go together: name both files, or neither for the generated pair');
  }
  if (certificatePath !== '') return { credential: await readPair(certificatePath, privateKeyPath), source: 'files' };
  const generatedCertificate = join(options.dataDir, GENERATED_CERTIFICATE_FILE);
  const generatedKey = join(options.dataDir, GENERATED_PRIVATE_KEY_FILE);
  // The certificate is put in place last (below): its presence means the pair is whole. A key alone is
  // what a start killed between the two renames leaves, and is generated again.
  if (existsSync(generatedCertificate) && existsSync(generatedKey)) return { credential: await readGeneratedPair(generatedCertificate, generatedKey), source: 'data directory' };
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = selfSignedCertificate(options.commonName, privateKey, publicKey, options.clock.now());
  await replaceDurably(generatedKey, privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
  await replaceDurably(generatedCertificate, pem(der), 0o644);
  await syncDirectory(options.dataDir);
  options.logger.info({ certificate: generatedCertificate, commonName: options.commonName }, 'server certificate generated (self-signed, secp256r1)');
  return { credential: credentialOf(privateKey, [der], generatedCertificate), source: 'generated' };
}

/** A self-signed certificate (RFC 5280 section 4.1) over `publicKey`, valid from `now`. */
export function selfSignedCertificate(commonName: string, privateKey: KeyObject, publicKey: KeyObject, now: Date): Buffer {
  const name = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: commonName }) })])]);
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + GENERATED_VALIDITY_YEARS);
  // RFC 5280 section 4.1.2.2: a positive serial of at most 20 octets; the top bit cleared keeps it
  // positive, and the next one set keeps the first octet non-zero: a leading zero octet before one under
  // 0x80 is not DER (X.690 section 8.3.2) and OpenSSL refuses the whole certificate.
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: Uint8Array.from(serial).buffer,
    signature: signatureAlgorithm,
    issuer: name,
    validity: new Validity({ notBefore: now, notAfter }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbsCertificate)), { key: privateKey, dsaEncoding: 'der' });
  const certificate = new Certificate({ tbsCertificate, signatureAlgorithm, signatureValue: Uint8Array.from(signature).buffer });
  return Buffer.from(AsnConvert.serialize(certificate));
}

/**
 * Writes `content` to a temporary name beside `path` (created with `mode`, so a key is never readable by
 * others, not even for a moment), flushes it to the disk and renames it over `path`: a process killed or a
 * power loss at any moment leaves either the old file or the new one whole (rename(2) is atomic), never a
 * truncated one. A temporary file left by an earlier killed start is removed first.
 */
async function replaceDurably(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const partial = `${path}.partial`;
  await rm(partial, { force: true });
  const file = await open(partial, 'wx', mode);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(partial, path);
}

/** Flushes a directory's entries (the renames into it) to the disk, so that they survive a power loss. */
async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The generated pair read back; when it cannot be, the error says which file and how to start again. */
async function readGeneratedPair(certificatePath: string, privateKeyPath: string): Promise<ServerCredential> {
  try {
    return await readPair(certificatePath, privateKeyPath);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ServerCertificateError(
      `the generated server certificate pair cannot be used (${reason}): delete both ${certificatePath} and ${privateKeyPath} to generate a new pair on the next start; ` +
        'devices given the old server public key (by the bootstrap server or by hand) must then be bootstrapped again',
      { cause: error },
    );
  }
}

async function readPair(certificatePath: string, privateKeyPath: string): Promise<ServerCredential> {
  const chain = await readCertificates(certificatePath, 'server certificate');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(privateKeyPath));
  } catch (error) {
    throw new ServerCertificateError(`cannot read the server private key ${privateKeyPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return credentialOf(privateKey, chain, certificatePath);
}

/** The trust store's certificates; none without a path. */
export async function readTrustStore(path: string): Promise<X509Certificate[]> {
  if (path === '') return [];
  return (await readCertificates(path, 'trust store')).map((der) => new X509Certificate(der));
}

/** Every certificate of a PEM file, in order; refused when it holds none or one cannot be parsed. */
async function readCertificates(path: string, what: string): Promise<Buffer[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ServerCertificateError(`cannot read the ${what} file ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ServerCertificateError(`the ${what} file ${path} holds no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block).raw;
    } catch (error) {
      throw new ServerCertificateError(`certificate ${index + 1} of ${path} cannot be parsed`, { cause: error });
    }
  });
}

function credentialOf(privateKey: KeyObject, chain: readonly Buffer[], certificatePath: string): ServerCredential {
  const [own] = chain;
  if (own === undefined) throw new ServerCertificateError(`${certificatePath} holds no certificate`);
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new ServerCertificateError('the server private key must be an ECDSA secp256r1 (P-256) key (RFC 7925 section 4.4.1)');
  }
  const certificate = new X509Certificate(own);
  const publicKeyInfo = certificate.publicKey.export({ format: 'der', type: 'spki' });
  if (!publicKeyInfo.equals(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }))) {
    throw new ServerCertificateError(`the first certificate of ${certificatePath} is not the private key's`);
  }
  return { privateKey, certificateChain: chain, publicKeyInfo };
}

function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
