/**
 * ChaCha20-Poly1305 as TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 uses it (RFC 7905 section 2, RFC 8439
 * section 2.8): no explicit nonce in the record; the nonce is the 12-byte write IV from the key block
 * XORed with the 64-bit record sequence number, which in DTLS is the epoch and the 48-bit sequence
 * number (RFC 6347 section 4.1.2.1), padded on the left with four zero bytes. The tag is 16 bytes.
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { additionalData, openAead } from './RecordProtection.ts';
import type { RecordHeaderFields, RecordProtection } from './RecordProtection.ts';

const TAG_LENGTH = 16;

export class ChaCha20Poly1305Protection implements RecordProtection {
  /** A KeyObject, not bytes: node:crypto then skips importing the key for every record. */
  private readonly key: KeyObject;
  private readonly writeIv: Buffer;

  constructor(key: Buffer, writeIv: Buffer) {
    this.key = createSecretKey(key);
    this.writeIv = writeIv;
  }

  seal(header: RecordHeaderFields, plaintext: Buffer): Buffer {
    const cipher = createCipheriv('chacha20-poly1305', this.key, this.nonce(header), { authTagLength: TAG_LENGTH });
    cipher.setAAD(additionalData(header, plaintext.length), { plaintextLength: plaintext.length });
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  open(header: RecordHeaderFields, fragment: Buffer): Buffer | undefined {
    const plaintextLength = fragment.length - TAG_LENGTH;
    if (plaintextLength < 0) return undefined;
    const decipher = createDecipheriv('chacha20-poly1305', this.key, this.nonce(header), { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(fragment.subarray(plaintextLength));
    decipher.setAAD(additionalData(header, plaintextLength), { plaintextLength });
    return openAead(decipher, fragment.subarray(0, plaintextLength));
  }

  private nonce(header: RecordHeaderFields): Buffer {
    const nonce = Buffer.alloc(12);
    nonce.writeUInt16BE(header.epoch, 4);
    nonce.writeUIntBE(header.sequenceNumber, 6, 6);
    for (let index = 0; index < nonce.length; index++) nonce[index] = (nonce[index] ?? 0) ^ (this.writeIv[index] ?? 0);
    return nonce;
  }
}
