/** Builds ClientHello records byte by byte (RFC 5246 section 7.4.1.2, RFC 6347 section 4.2.1) for raw-peer tests. */
export interface ClientHelloSpec {
  readonly random: Buffer;
  readonly cookie?: Buffer;
  readonly cipherSuites?: readonly number[];
  readonly messageSeq?: number;
  readonly recordSequence?: number;
  readonly clientVersion?: number;
  /** The record layer's version; default DTLS 1.2 (a client may put any {254, x} there: RFC 5246 appendix E.1). */
  readonly recordVersion?: number;
  /** Offers RFC 9146 connection IDs, asking for this one in the server's records. */
  readonly connectionId?: Buffer;
  /** The session to resume (RFC 5246 section 7.4.1.2); default none. */
  readonly sessionId?: Buffer;
  /** Offers the extended master secret (RFC 7627); default true. */
  readonly extendedMasterSecret?: boolean;
  /** More extensions, each whole (type, length, data). */
  readonly extensions?: readonly Buffer[];
}

export function clientHelloRecord(spec: ClientHelloSpec): Buffer {
  const cookie = spec.cookie ?? Buffer.alloc(0);
  const suites = spec.cipherSuites ?? [0xc0a8];
  const suiteBytes = Buffer.alloc(suites.length * 2);
  suites.forEach((suite, index) => suiteBytes.writeUInt16BE(suite, index * 2));
  const extensions: Buffer[] = spec.extendedMasterSecret === false ? [] : [Buffer.from([0x00, 0x17, 0x00, 0x00])]; // extended_master_secret
  const sessionId = spec.sessionId ?? Buffer.alloc(0);
  if (spec.connectionId !== undefined) {
    extensions.push(Buffer.concat([u16(54), u16(spec.connectionId.length + 1), Buffer.from([spec.connectionId.length]), spec.connectionId]));
  }
  extensions.push(...(spec.extensions ?? []));
  const extensionBytes = Buffer.concat(extensions);
  const version = Buffer.alloc(2);
  version.writeUInt16BE(spec.clientVersion ?? 0xfefd);
  const body = Buffer.concat([
    version,
    spec.random,
    Buffer.from([sessionId.length]),
    sessionId,
    Buffer.from([cookie.length]),
    cookie,
    u16(suiteBytes.length),
    suiteBytes,
    Buffer.from([1, 0]), // compression: null
    u16(extensionBytes.length),
    extensionBytes,
  ]);
  const handshake = Buffer.concat([Buffer.from([1]), u24(body.length), u16(spec.messageSeq ?? 0), u24(0), u24(body.length), body]);
  const header = Buffer.alloc(13);
  header.writeUInt8(22, 0);
  header.writeUInt16BE(spec.recordVersion ?? 0xfefd, 1);
  header.writeUInt16BE(0, 3);
  header.writeUIntBE(spec.recordSequence ?? 0, 5, 6);
  header.writeUInt16BE(handshake.length, 11);
  return Buffer.concat([header, handshake]);
}

/** The cookie of a HelloVerifyRequest datagram: record header 13, handshake header 12, version 2, length 1. */
export function cookieOfHelloVerifyRequest(datagram: Buffer): Buffer {
  if (datagram[13] !== 3) throw new Error(`not a HelloVerifyRequest: handshake type ${datagram[13]}`);
  const length = datagram.readUInt8(13 + 12 + 2);
  return datagram.subarray(13 + 12 + 3, 13 + 12 + 3 + length);
}

function u16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

function u24(value: number): Buffer {
  const out = Buffer.alloc(3);
  out.writeUIntBE(value, 0, 3);
  return out;
}
