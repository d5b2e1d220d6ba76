/**
 * Epoch 1 records in and out of one association: the classic DTLSCiphertext, or, once a connection ID
 * is negotiated, tls12_cid records whose encrypted DTLSInnerPlaintext carries the real content type
 * (RFC 9146 section 4). Each direction uses the CID its receiver chose; an empty one means the classic
 * format in that direction.
 */
import { ContentType, DTLS_1_2, serializeRecord } from './DtlsRecord.ts';
import type { DtlsRecord } from './DtlsRecord.ts';
import type { RecordProtection } from './RecordProtection.ts';

export interface OpenedRecord {
  readonly type: number;
  readonly content: Buffer;
}

export class ProtectedRecords {
  private readonly read: RecordProtection;
  private readonly write: RecordProtection;
  /** The CID we handed out: the client must put it in every protected record it sends. */
  private readonly readConnectionId: Buffer | undefined;
  /** The client's CID, which we put in ours; undefined or empty: the classic format. */
  private readonly writeConnectionId: Buffer | undefined;

  constructor(read: RecordProtection, write: RecordProtection, readConnectionId: Buffer | undefined, writeConnectionId: Buffer | undefined) {
    this.read = read;
    this.write = write;
    this.readConnectionId = readConnectionId;
    this.writeConnectionId = writeConnectionId !== undefined && writeConnectionId.length > 0 ? writeConnectionId : undefined;
  }

  /** The protected record, serialized. */
  seal(type: number, sequenceNumber: number, content: Buffer): Buffer {
    const connectionId = this.writeConnectionId;
    if (connectionId === undefined) {
      const header = { type, version: DTLS_1_2, epoch: 1, sequenceNumber };
      return serializeRecord({ ...header, fragment: this.write.seal(header, content) });
    }
    const header = { type: ContentType.tls12Cid, version: DTLS_1_2, epoch: 1, sequenceNumber, connectionId };
    const inner = Buffer.concat([content, Buffer.from([type])]); // DTLSInnerPlaintext without padding
    return serializeRecord({ ...header, fragment: this.write.seal(header, inner) });
  }

  /** The real type and content, or undefined when the record does not authenticate or has the wrong format. */
  open(record: DtlsRecord): OpenedRecord | undefined {
    const expected = this.readConnectionId;
    if (expected === undefined) {
      if (record.type === ContentType.tls12Cid) return undefined;
      const content = this.read.open(record, record.fragment);
      return content === undefined ? undefined : { type: record.type, content };
    }
    // RFC 9146 section 4: once negotiated, every protected record from the client carries our CID.
    if (record.type !== ContentType.tls12Cid || record.connectionId === undefined || !record.connectionId.equals(expected)) return undefined;
    const inner = this.read.open(record, record.fragment);
    return inner === undefined ? undefined : parseInnerPlaintext(inner);
  }
}

/** DTLSInnerPlaintext: content, real type, then zero padding (RFC 9146 section 4). */
function parseInnerPlaintext(inner: Buffer): OpenedRecord | undefined {
  let end = inner.length - 1;
  while (end >= 0 && inner[end] === 0) end--;
  const type = inner[end];
  if (type === undefined) return undefined; // all zeros: no content type
  return { type, content: inner.subarray(0, end) };
}
