/**
 * AES-128-CCM with an 8-byte tag as TLS_PSK_WITH_AES_128_CCM_8 uses it (RFC 6655 section 3, RFC 5116
 * section 3.2): nonce = 4-byte salt from the key block + 8-byte explicit nonce carried in the record. The
 * explicit nonce is the record's epoch and sequence number, which never repeat under one key
 * (RFC 6655 section 3).
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { additionalData, openAead } from './RecordProtection.ts';
import type { RecordHeaderFields, RecordProtection } from './RecordProtection.ts';

const EXPLICIT_NONCE_LENGTH = 8;
const TAG_LENGTH = 8;

export class AesCcm8Protection implements RecordProtection {
  /** A KeyObject, not bytes: node:crypto then skips importing the key for every record (about 6x faster). */
  private readonly key: KeyObject;
  private readonly salt: Buffer;

  constructor(key: Buffer, salt: Buffer) {
    this.key = createSecretKey(key);
    this.salt = salt;
  }

  seal(header: RecordHeaderFields, plaintext: Buffer): Buffer {
    const explicitNonce = Buffer.allocUnsafe(EXPLICIT_NONCE_LENGTH);
    explicitNonce.writeUInt16BE(header.epoch, 0);
    explicitNonce.writeUIntBE(header.sequenceNumber, 2, 6);
    const cipher = createCipheriv('aes-128-ccm', this.key, Buffer.concat([this.salt, explicitNonce]), { authTagLength: TAG_LENGTH });
    cipher.setAAD(additionalData(header, plaintext.length), { plaintextLength: plaintext.length });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([explicitNonce, ciphertext, cipher.getAuthTag()]);
  }

  open(header: RecordHeaderFields, fragment: Buffer): Buffer | undefined {
    const plaintextLength = fragment.length - EXPLICIT_NONCE_LENGTH - TAG_LENGTH;
    if (plaintextLength < 0) return undefined;
    const nonce = Buffer.concat([this.salt, fragment.subarray(0, EXPLICIT_NONCE_LENGTH)]);
    const decipher = createDecipheriv('aes-128-ccm', this.key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(fragment.subarray(fragment.length - TAG_LENGTH));
    decipher.setAAD(additionalData(header, plaintextLength), { plaintextLength });
    return openAead(decipher, fragment.subarray(EXPLICIT_NONCE_LENGTH, fragment.length - TAG_LENGTH));
  }
}
