/**
 * The DTLS 1.2 record layer codec (RFC 6347 section 4.1): DTLSPlaintext and DTLSCiphertext share the
 * same 13-byte header, so one codec serves both; what the fragment means depends on the epoch's cipher.
 */
import { ByteReader } from './ByteReader.ts';
import type { ParseError } from './ByteReader.ts';

/** ContentType values (RFC 5246 section 6.2.1). */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  /** RFC 9146 section 4: a protected record carrying a connection ID; the real type is inside. */
  tls12Cid: 25,
} as const;

/** DTLS 1.2 is {254, 253}; DTLS 1.0 {254, 255} still appears on first ClientHellos (RFC 6347 section 4.1). */
export const DTLS_1_2 = 0xfefd;
export const DTLS_1_0 = 0xfeff;

export const RECORD_HEADER_LENGTH = 13;
/** RFC 6347 section 4.1: a DTLSCiphertext fragment may not exceed 2^14 + 2048 bytes. */
export const MAX_RECORD_FRAGMENT_LENGTH = 16384 + 2048;
/** Record sequence numbers are 48-bit (RFC 6347 section 4.1). */
export const MAX_SEQUENCE_NUMBER = 2 ** 48 - 1;

export interface DtlsRecord {
  readonly type: number;
  readonly version: number;
  readonly epoch: number;
  readonly sequenceNumber: number;
  /** Only in tls12_cid records (RFC 9146 section 4). */
  readonly connectionId?: Buffer;
  readonly fragment: Buffer;
}

/** What a datagram held: the well-formed records before the first malformed one, and that error. */
export interface ParsedDatagram {
  readonly records: readonly DtlsRecord[];
  readonly error: ParseError | undefined;
}

/**
 * Splits a datagram into records (RFC 6347 section 4.1.1: several records may share one datagram). An
 * invalid record only discards itself and what follows (section 4.1.2.7), never the ones before it.
 * `connectionIdLength` is the length of the connection IDs this receiver hands out (RFC 9146 section 3:
 * the record does not say it); 0 means tls12_cid records are not expected.
 */
export function parseDatagram(datagram: Buffer, connectionIdLength = 0): ParsedDatagram {
  const records: DtlsRecord[] = [];
  const reader = new ByteReader(datagram);
  while (reader.remaining > 0) {
    const start = reader.offset;
    const type = reader.uint8('record content type');
    const version = reader.uint16('record version');
    const epoch = reader.uint16('record epoch');
    const sequenceNumber = reader.uint48('record sequence number');
    const withConnectionId = type === ContentType.tls12Cid && connectionIdLength > 0;
    const connectionId = withConnectionId ? reader.bytes(connectionIdLength, 'record connection id') : undefined;
    const length = reader.uint16('record length');
    if (reader.error === undefined && !isKnownContentType(type) && !withConnectionId) reader.fail(`unknown content type ${type}`, start);
    if (reader.error === undefined && length > MAX_RECORD_FRAGMENT_LENGTH) {
      reader.fail(`record length ${length} exceeds ${MAX_RECORD_FRAGMENT_LENGTH}`, reader.offset - 2);
    }
    if (reader.error === undefined && (version >> 8) !== 0xfe) reader.fail(`not a DTLS version: 0x${version.toString(16)}`, start + 1);
    const fragment = reader.bytes(length, 'record fragment');
    if (reader.error !== undefined) return { records, error: reader.error };
    records.push(connectionId === undefined ? { type, version, epoch, sequenceNumber, fragment } : { type, version, epoch, sequenceNumber, connectionId, fragment });
  }
  return { records, error: undefined };
}

export function serializeRecord(record: DtlsRecord): Buffer {
  const connectionId = record.connectionId ?? Buffer.alloc(0);
  const headerLength = RECORD_HEADER_LENGTH + connectionId.length;
  const out = Buffer.allocUnsafe(headerLength + record.fragment.length);
  out.writeUInt8(record.type, 0);
  out.writeUInt16BE(record.version, 1);
  out.writeUInt16BE(record.epoch, 3);
  out.writeUIntBE(record.sequenceNumber, 5, 6);
  connectionId.copy(out, 11);
  out.writeUInt16BE(record.fragment.length, 11 + connectionId.length);
  record.fragment.copy(out, headerLength);
  return out;
}

function isKnownContentType(type: number): boolean {
  return type >= ContentType.changeCipherSpec && type <= ContentType.applicationData;
}
