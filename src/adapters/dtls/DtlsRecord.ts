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
} as const;
export type ContentTypeValue = (typeof ContentType)[keyof typeof ContentType];

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
 */
export function parseDatagram(datagram: Buffer): ParsedDatagram {
  const records: DtlsRecord[] = [];
  const reader = new ByteReader(datagram);
  while (reader.remaining > 0) {
    const start = reader.offset;
    const type = reader.uint8('record content type');
    const version = reader.uint16('record version');
    const epoch = reader.uint16('record epoch');
    const sequenceNumber = reader.uint48('record sequence number');
    const length = reader.uint16('record length');
    if (reader.error === undefined && length > MAX_RECORD_FRAGMENT_LENGTH) {
      reader.fail(`record length ${length} exceeds ${MAX_RECORD_FRAGMENT_LENGTH}`, start + 11);
    }
    if (reader.error === undefined && !isKnownContentType(type)) reader.fail(`unknown content type ${type}`, start);
    if (reader.error === undefined && (version >> 8) !== 0xfe) reader.fail(`not a DTLS version: 0x${version.toString(16)}`, start + 1);
    const fragment = reader.bytes(length, 'record fragment');
    if (reader.error !== undefined) return { records, error: reader.error };
    records.push({ type, version, epoch, sequenceNumber, fragment });
  }
  return { records, error: undefined };
}

export function serializeRecord(record: DtlsRecord): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + record.fragment.length);
  writeRecordHeader(out, record.type, record.version, record.epoch, record.sequenceNumber, record.fragment.length);
  record.fragment.copy(out, RECORD_HEADER_LENGTH);
  return out;
}

function writeRecordHeader(out: Buffer, type: number, version: number, epoch: number, sequenceNumber: number, length: number): void {
  out.writeUInt8(type, 0);
  out.writeUInt16BE(version, 1);
  out.writeUInt16BE(epoch, 3);
  out.writeUIntBE(sequenceNumber, 5, 6);
  out.writeUInt16BE(length, 11);
}

function isKnownContentType(type: number): type is ContentTypeValue {
  return type >= ContentType.changeCipherSpec && type <= ContentType.applicationData;
}
