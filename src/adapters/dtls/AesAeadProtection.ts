/**
 * AES-128 in an AEAD mode with a partly explicit nonce, as the CCM suites (RFC 6655 section 3; CCM_8:
 * an 8-byte tag) and the GCM suites (RFC 5288 section 3: a 16-byte tag) use it: nonce = 4-byte salt
 * from the key block + 8-byte explicit nonce carried in the record (RFC 5116 section 3.2). The explicit
 * nonce is the record's epoch and sequence number, which never repeat under one key (RFC 6655 section 3,
 * RFC 5288 section 3).
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { additionalData, openAead } from './RecordProtection.ts';
import type { RecordHeaderFields, RecordProtection } from './RecordProtection.ts';

const EXPLICIT_NONCE_LENGTH = 8;

type AesAeadMode = { readonly algorithm: 'aes-128-ccm'; readonly tagLength: 8 } | { readonly algorithm: 'aes-128-gcm'; readonly tagLength: 16 };

export class AesAeadProtection implements RecordProtection {
  /** AES-128-CCM with an 8-byte tag (TLS_PSK_WITH_AES_128_CCM_8, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8). */
  static ccm8(key: Buffer, salt: Buffer): AesAeadProtection {
    return new AesAeadProtection({ algorithm: 'aes-128-ccm', tagLength: 8 }, key, salt);
  }

  /** AES-128-GCM (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, RFC 5289 section 3.2). */
  static gcm(key: Buffer, salt: Buffer): AesAeadProtection {
    return new AesAeadProtection({ algorithm: 'aes-128-gcm', tagLength: 16 }, key, salt);
  }

  private readonly mode: AesAeadMode;
  /** A KeyObject, not bytes: node:crypto then skips importing the key for every record (about 6x faster). */
  private readonly key: KeyObject;
  private readonly salt: Buffer;

  private constructor(mode: AesAeadMode, key: Buffer, salt: Buffer) {
    this.mode = mode;
    this.key = createSecretKey(key);
    this.salt = salt;
  }

  seal(header: RecordHeaderFields, plaintext: Buffer): Buffer {
    const explicitNonce = Buffer.allocUnsafe(EXPLICIT_NONCE_LENGTH);
    explicitNonce.writeUInt16BE(header.epoch, 0);
    explicitNonce.writeUIntBE(header.sequenceNumber, 2, 6);
    const nonce = Buffer.concat([this.salt, explicitNonce]);
    const cipher =
      this.mode.algorithm === 'aes-128-ccm'
        ? createCipheriv('aes-128-ccm', this.key, nonce, { authTagLength: this.mode.tagLength })
        : createCipheriv('aes-128-gcm', this.key, nonce, { authTagLength: this.mode.tagLength });
    cipher.setAAD(additionalData(header, plaintext.length), { plaintextLength: plaintext.length });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([explicitNonce, ciphertext, cipher.getAuthTag()]);
  }

  open(header: RecordHeaderFields, fragment: Buffer): Buffer | undefined {
    const tagLength = this.mode.tagLength;
    const plaintextLength = fragment.length - EXPLICIT_NONCE_LENGTH - tagLength;
    if (plaintextLength < 0) return undefined;
    const nonce = Buffer.concat([this.salt, fragment.subarray(0, EXPLICIT_NONCE_LENGTH)]);
    const decipher =
      this.mode.algorithm === 'aes-128-ccm'
        ? createDecipheriv('aes-128-ccm', this.key, nonce, { authTagLength: this.mode.tagLength })
        : createDecipheriv('aes-128-gcm', this.key, nonce, { authTagLength: this.mode.tagLength });
    decipher.setAuthTag(fragment.subarray(fragment.length - tagLength));
    decipher.setAAD(additionalData(header, plaintextLength), { plaintextLength });
    return openAead(decipher, fragment.subarray(EXPLICIT_NONCE_LENGTH, fragment.length - tagLength));
  }
}
