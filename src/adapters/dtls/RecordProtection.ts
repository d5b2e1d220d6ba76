/** What a cipher suite does to one record's fragment, in one direction and one epoch. */
export interface RecordHeaderFields {
  readonly type: number;
  readonly version: number;
  readonly epoch: number;
  readonly sequenceNumber: number;
}

export interface RecordProtection {
  /** DTLSPlaintext.fragment -> DTLSCiphertext.fragment. */
  seal(header: RecordHeaderFields, plaintext: Buffer): Buffer;
  /** DTLSCiphertext.fragment -> plaintext, or undefined when it does not authenticate (never a reason: RFC 5246 section 6.2.3.2). */
  open(header: RecordHeaderFields, fragment: Buffer): Buffer | undefined;
}

/**
 * The MAC input / AEAD additional data: seq_num + type + version + length (RFC 5246 sections 6.2.3.1 and
 * 6.2.3.3), where DTLS's seq_num is the 16-bit epoch followed by the 48-bit sequence number (RFC 6347
 * section 4.1.2.1).
 */
export function additionalData(header: RecordHeaderFields, plaintextLength: number): Buffer {
  const out = Buffer.allocUnsafe(13);
  out.writeUInt16BE(header.epoch, 0);
  out.writeUIntBE(header.sequenceNumber, 2, 6);
  out.writeUInt8(header.type, 8);
  out.writeUInt16BE(header.version, 9);
  out.writeUInt16BE(plaintextLength, 11);
  return out;
}
