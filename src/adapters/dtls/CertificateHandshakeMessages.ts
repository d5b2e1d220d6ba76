/**
 * The handshake messages of the ECDHE_ECDSA suites with a client that authenticates too (RFC 5246
 * section 7.4, RFC 8422 sections 5.4 to 5.8, RFC 7250 section 3 for raw public keys), in the profile of
 * RFC 7925 section 4.4: the curve secp256r1 with uncompressed points, and ECDSA with SHA-256 for every
 * signature. Bodies without the DTLS handshake header.
 */
import { ByteReader } from './ByteReader.ts';
import type { ParseResult } from './ByteReader.ts';
import { ExtensionType } from './ClientHello.ts';
import type { ClientHello } from './ClientHello.ts';

/** RFC 8422 section 5.1.1: NamedCurve secp256r1. */
const SECP256R1 = 23;
/** RFC 8422 section 5.4: ECCurveType named_curve. */
const NAMED_CURVE = 3;
/** RFC 8422 section 5.1.2: ECPointFormat uncompressed. */
const UNCOMPRESSED = 0;
/** RFC 5246 section 7.4.1.4.1: hash sha256 (4) with signature ecdsa (3), the one pair RFC 7925 section 4.4.2 asks for. */
export const ECDSA_SECP256R1_SHA256 = 0x0403;
/** RFC 8422 section 5.5: ClientCertificateType ecdsa_sign. */
const ECDSA_SIGN = 64;
/** An uncompressed secp256r1 point: 0x04, then X and Y of 32 bytes each (SEC 1 section 2.3.3). */
const UNCOMPRESSED_POINT_LENGTH = 65;

/** RFC 7250 section 3 (IANA TLS Certificate Types): what a Certificate message carries. */
export const CertificateType = { x509: 0, rawPublicKey: 2 } as const;
export type CertificateTypeValue = (typeof CertificateType)[keyof typeof CertificateType];

/** The ECDHE_ECDSA suites are possible with this client: it can use our curve, point format and signature. */
export function canUseEcdheEcdsa(hello: ClientHello): boolean {
  // RFC 8422 section 4: without supported_groups or ec_point_formats any curve, and uncompressed points,
  // are fine. signature_algorithms must be there: without it only SHA-1 would do (RFC 5246 section
  // 7.4.1.4.1), which RFC 7925 section 4.4.2 no longer allows.
  const groups = extensionData(hello, ExtensionType.supportedGroups);
  const pointFormats = extensionData(hello, ExtensionType.ecPointFormats);
  const signatures = extensionData(hello, ExtensionType.signatureAlgorithms);
  if (groups !== undefined && !uint16List(groups).includes(SECP256R1)) return false;
  if (pointFormats !== undefined && !uint8List(pointFormats, 'ec_point_format_list').includes(UNCOMPRESSED)) return false;
  return signatures !== undefined && uint16List(signatures).includes(ECDSA_SECP256R1_SHA256);
}

/**
 * The certificate type to use in one direction (RFC 7250 section 4.2): `preferred` when the client
 * offers it, else the first of the client's list that this server supports, X.509 when the client did
 * not send the extension, or undefined when nothing matches (the certificate suites are then not used).
 */
export function chooseCertificateType(
  hello: ClientHello,
  extension: 19 | 20,
  supported: readonly CertificateTypeValue[],
  preferred?: CertificateTypeValue,
): CertificateTypeValue | undefined {
  const data = extensionData(hello, extension);
  const offered = data === undefined ? [CertificateType.x509] : uint8List(data, 'certificate types');
  const chosen = preferred !== undefined && offered.includes(preferred) ? preferred : offered.find((candidate) => supported.some((type) => type === candidate));
  return supported.find((type) => type === chosen);
}

/** Whether the client sent the certificate type extension, so that the ServerHello must answer it (RFC 7250 section 4.2). */
export function sentExtension(hello: ClientHello, type: number): boolean {
  return extensionData(hello, type) !== undefined;
}

/** RFC 8422 section 5.4: ServerECDHParams, the part of ServerKeyExchange the signature covers with both randoms. */
export function serverEcdhParams(publicPoint: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + publicPoint.length);
  out.writeUInt8(NAMED_CURVE, 0);
  out.writeUInt16BE(SECP256R1, 1);
  out.writeUInt8(publicPoint.length, 3);
  publicPoint.copy(out, 4);
  return out;
}

/** RFC 8422 section 5.4 with RFC 5246 section 4.7's digitally-signed: params, then the scheme and the DER signature. */
export function serverKeyExchangeBody(params: Buffer, signature: Buffer): Buffer {
  const out = Buffer.allocUnsafe(params.length + 4 + signature.length);
  params.copy(out, 0);
  out.writeUInt16BE(ECDSA_SECP256R1_SHA256, params.length);
  out.writeUInt16BE(signature.length, params.length + 2);
  signature.copy(out, params.length + 4);
  return out;
}

/** What the ServerKeyExchange signature covers (RFC 8422 section 5.4): client random, server random, params. */
export function signedParams(clientRandom: Buffer, serverRandom: Buffer, params: Buffer): Buffer {
  return Buffer.concat([clientRandom, serverRandom, params]);
}

/**
 * RFC 5246 section 7.4.4 with RFC 8422 section 5.5: the client must sign with ECDSA, over SHA-256, and
 * no certificate authorities are named (an empty list lets the client send any certificate, as RFC
 * 7925 section 4.4.2 allows; the trust store decides afterwards).
 */
export function certificateRequestBody(): Buffer {
  return Buffer.from([1, ECDSA_SIGN, 0, 2, ECDSA_SECP256R1_SHA256 >> 8, ECDSA_SECP256R1_SHA256 & 0xff, 0, 0]);
}

/** RFC 5246 section 7.4.2 (a chain of DER certificates, ours first) or RFC 7250 section 3 (one SubjectPublicKeyInfo). */
export function certificateBody(type: CertificateTypeValue, certificates: readonly Buffer[]): Buffer {
  const entries = type === CertificateType.rawPublicKey ? certificates.slice(0, 1) : certificates;
  const list = Buffer.concat(entries.map((der) => Buffer.concat([uint24(der.length), der])));
  return type === CertificateType.rawPublicKey ? list : Buffer.concat([uint24(list.length), list]);
}

/** The client's Certificate: its DER certificates (its own first), or its raw public key; empty when it has none. */
export function parseCertificate(type: CertificateTypeValue, body: Buffer): ParseResult<readonly Buffer[]> {
  const reader = new ByteReader(body);
  const certificates: Buffer[] = [];
  if (type === CertificateType.rawPublicKey) {
    const key = reader.vector24('ASN.1_subjectPublicKeyInfo');
    if (reader.error === undefined && key.length === 0) reader.fail('empty raw public key', 0);
    certificates.push(key);
  } else {
    const list = new ByteReader(reader.vector24('certificate_list'));
    while (list.error === undefined && list.remaining > 0) {
      const certificate = list.vector24('ASN.1Cert');
      if (list.error === undefined && certificate.length === 0) list.fail('empty certificate in the list');
      certificates.push(certificate);
    }
    if (list.error !== undefined) reader.fail(`certificate_list: ${list.error.reason}`, 3 + list.error.offset);
  }
  if (reader.error === undefined && reader.remaining > 0) reader.fail('trailing bytes after the certificates');
  if (reader.error !== undefined) return { ok: false, error: reader.error };
  return { ok: true, value: certificates };
}

/** RFC 8422 section 5.7: the client's ephemeral public point, uncompressed on secp256r1. */
export function parseEcdhClientKeyExchange(body: Buffer): ParseResult<Buffer> {
  const reader = new ByteReader(body);
  const point = reader.vector8('ecdh_Yc');
  if (reader.error === undefined && (point.length !== UNCOMPRESSED_POINT_LENGTH || point[0] !== 0x04)) {
    reader.fail(`ecdh_Yc is not an uncompressed secp256r1 point (${point.length} bytes)`, 1);
  }
  if (reader.error === undefined && reader.remaining > 0) reader.fail('trailing bytes after ecdh_Yc');
  if (reader.error !== undefined) return { ok: false, error: reader.error };
  return { ok: true, value: point };
}

/** RFC 5246 section 7.4.8: the scheme and the DER signature over every handshake message before it. */
export function parseCertificateVerify(body: Buffer): ParseResult<{ readonly scheme: number; readonly signature: Buffer }> {
  const reader = new ByteReader(body);
  const scheme = reader.uint16('signature algorithm');
  const signature = reader.vector16('signature');
  if (reader.error === undefined && reader.remaining > 0) reader.fail('trailing bytes after the signature');
  if (reader.error !== undefined) return { ok: false, error: reader.error };
  return { ok: true, value: { scheme, signature } };
}

function extensionData(hello: ClientHello, type: number): Buffer | undefined {
  return hello.extensions.find((extension) => extension.type === type)?.data;
}

/** A uint16 list with a two-byte length (supported_groups, signature_algorithms); malformed reads as empty. */
function uint16List(data: Buffer): number[] {
  const reader = new ByteReader(data);
  const list = reader.vector16('list');
  if (reader.error !== undefined || reader.remaining > 0 || list.length % 2 !== 0) return [];
  const values: number[] = [];
  for (let i = 0; i < list.length; i += 2) values.push(list.readUInt16BE(i));
  return values;
}

/** A uint8 list with a one-byte length (ec_point_formats, certificate types); malformed reads as empty. */
function uint8List(data: Buffer, what: string): number[] {
  const reader = new ByteReader(data);
  const list = reader.vector8(what);
  return reader.error !== undefined || reader.remaining > 0 ? [] : [...list];
}

function uint24(value: number): Buffer {
  const out = Buffer.allocUnsafe(3);
  out.writeUIntBE(value, 0, 3);
  return out;
}
