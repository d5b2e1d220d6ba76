/**
 * The ClientHello body (RFC 5246 section 7.4.1.2 with the cookie of RFC 6347 section 4.2.1) and the
 * extensions the server acts on.
 */
import { ByteReader } from './ByteReader.ts';
import type { ParseResult } from './ByteReader.ts';

/** Extension types this server reads or answers. */
export const ExtensionType = {
  /** RFC 8422 section 5.1.1: the curves the client can use in ECDHE (and ECDSA). */
  supportedGroups: 10,
  /** RFC 8422 section 5.1.2: the EC point formats the client can parse. */
  ecPointFormats: 11,
  /** RFC 5246 section 7.4.1.4.1: the signature and hash pairs the client can verify. */
  signatureAlgorithms: 13,
  /** RFC 7250 section 3: the certificate types the client can send, and those it can take from us. */
  clientCertificateType: 19,
  serverCertificateType: 20,
  /** RFC 7627: the master secret is bound to the handshake transcript. */
  extendedMasterSecret: 0x0017,
  /** RFC 9146 section 3: each side names the connection ID it wants to receive. */
  connectionId: 54,
  /** RFC 5746: the server answers it (empty) because it never renegotiates. */
  renegotiationInfo: 0xff01,
} as const;

/** RFC 5746 section 3.3: a client may signal secure renegotiation with this cipher suite value instead. */
export const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

export interface HelloExtension {
  readonly type: number;
  readonly data: Buffer;
}

export interface ClientHello {
  readonly clientVersion: number;
  readonly random: Buffer;
  readonly sessionId: Buffer;
  readonly cookie: Buffer;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: Buffer;
  readonly extensions: readonly HelloExtension[];
}

export function parseClientHello(body: Buffer): ParseResult<ClientHello> {
  const reader = new ByteReader(body);
  const clientVersion = reader.uint16('client_version');
  const random = reader.bytes(32, 'random');
  const sessionId = reader.vector8('session_id');
  if (sessionId.length > 32) reader.fail('session_id longer than 32 bytes');
  const cookie = reader.vector8('cookie');
  const suiteStart = reader.offset;
  const suiteBytes = reader.vector16('cipher_suites');
  if (reader.error === undefined && (suiteBytes.length === 0 || suiteBytes.length % 2 !== 0)) {
    reader.fail('cipher_suites length must be even and non-zero', suiteStart);
  }
  const cipherSuites: number[] = [];
  for (let i = 0; i + 1 < suiteBytes.length; i += 2) cipherSuites.push(suiteBytes.readUInt16BE(i));
  const compressionMethods = reader.vector8('compression_methods');
  const extensions: HelloExtension[] = [];
  // Extensions are optional: a ClientHello may end right after compression_methods (RFC 5246 section 7.4.1.2).
  if (reader.error === undefined && reader.remaining > 0) {
    const blockStart = reader.offset + 2;
    const extensionBlock = new ByteReader(reader.vector16('extensions'));
    while (extensionBlock.error === undefined && extensionBlock.remaining > 0) {
      const type = extensionBlock.uint16('extension type');
      const data = extensionBlock.vector16('extension data');
      extensions.push({ type, data });
    }
    if (extensionBlock.error !== undefined) {
      reader.fail(`extensions: ${extensionBlock.error.reason}`, blockStart + extensionBlock.error.offset);
    }
  }
  if (reader.error === undefined && reader.remaining > 0) reader.fail('trailing bytes after extensions');
  if (reader.error !== undefined) return { ok: false, error: reader.error };
  return { ok: true, value: { clientVersion, random, sessionId, cookie, cipherSuites, compressionMethods, extensions } };
}

export function hasExtension(hello: ClientHello, type: number): boolean {
  return hello.extensions.some((extension) => extension.type === type);
}

/**
 * The connection ID the client wants in our records (possibly empty: it sends ours but wants none back),
 * or undefined when it did not offer the extension or its data is malformed (RFC 9146 section 3).
 */
export function requestedConnectionId(hello: ClientHello): Buffer | undefined {
  const extension = hello.extensions.find((candidate) => candidate.type === ExtensionType.connectionId);
  if (extension === undefined) return undefined;
  const reader = new ByteReader(extension.data);
  const connectionId = reader.vector8('connection id');
  return reader.error === undefined && reader.remaining === 0 ? connectionId : undefined;
}
