/** What a cipher suite does to one record's fragment, in one direction and one epoch. */
export interface RecordHeaderFields {
  readonly type: number;
  readonly version: number;
  readonly epoch: number;
  readonly sequenceNumber: number;
  /** Present in tls12_cid records, which change the MAC input (RFC 9146 section 5). */
  readonly connectionId?: Buffer;
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
  if (header.connectionId !== undefined) return connectionIdAdditionalData(header, header.connectionId, plaintextLength);
  const out = Buffer.allocUnsafe(13);
  out.writeUInt16BE(header.epoch, 0);
  out.writeUIntBE(header.sequenceNumber, 2, 6);
  out.writeUInt8(header.type, 8);
  out.writeUInt16BE(header.version, 9);
  out.writeUInt16BE(plaintextLength, 11);
  return out;
}

/**
 * RFC 9146 sections 5.1 and 5.3: seq_num_placeholder (8 bytes of 0xff) + tls12_cid + cid_length +
 * tls12_cid + version + epoch + sequence_number + cid + length_of_DTLSInnerPlaintext.
 */
function connectionIdAdditionalData(header: RecordHeaderFields, connectionId: Buffer, innerPlaintextLength: number): Buffer {
  const out = Buffer.allocUnsafe(8 + 3 + 2 + 2 + 6 + connectionId.length + 2);
  out.fill(0xff, 0, 8);
  out.writeUInt8(header.type, 8);
  out.writeUInt8(connectionId.length, 9);
  out.writeUInt8(header.type, 10);
  out.writeUInt16BE(header.version, 11);
  out.writeUInt16BE(header.epoch, 13);
  out.writeUIntBE(header.sequenceNumber, 15, 6);
  connectionId.copy(out, 21);
  out.writeUInt16BE(innerPlaintextLength, 21 + connectionId.length);
  return out;
}

/**
 * The end of an AEAD decryption (RFC 5246 section 6.2.3.3): the plaintext, or undefined when the tag does
 * not verify, which node:crypto reports only by throwing from final().
 */
export function openAead(decipher: { update(data: Buffer): Buffer; final(): Buffer }, ciphertext: Buffer): Buffer | undefined {
  const plaintext = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return plaintext;
}
