/**
 * Seals secrets with AES-256-GCM (node:crypto) under keys derived from the master key, so that PSK
 * keys and API tokens never enter an event in clear. Two keys are derived with HKDF-SHA256 (RFC 5869):
 * one encrypts, one computes fingerprints; the master key itself is never used directly.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomFillSync, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { BulkSecretSealer, SealedSecret, SecretSealer } from '../../domain/SealedSecret.ts';
import { WorkerBulkSealer } from './WorkerBulkSealer.ts';

const KEY_ID_LENGTH = 8;
const IV_LENGTH = 12; // NIST SP 800-38D: 96-bit IVs for GCM
const TAG_LENGTH = 16;
/**
 * IVs are cut from a pool of random bytes refilled 512 IVs at a time, as node:crypto's randomUUID
 * pools its randomness: one call into OpenSSL's generator per 512 seals instead of one per seal
 * (about 8 µs each, the largest cost of sealing two keys per row in a 100,000-row import). Every IV
 * is still 96 fresh random bits, used once.
 */
const IV_POOL_SIZE = IV_LENGTH * 512;

export class SealingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealingError';
  }
}

/**
 * The keys derived from the master key: what a sealer on another thread is given (KeyObjects cross to a
 * worker thread without being exported), so that the master key itself never leaves its thread.
 */
export interface SealingKeys {
  readonly encryptionKey: KeyObject;
  readonly fingerprintKey: KeyObject;
  readonly keyId: Uint8Array;
}

export class AesGcmSecretSealer implements SecretSealer {
  /** Identifies the master key without revealing it: sealed data carry it, so a wrong key is detected. */
  readonly keyId: Buffer;
  // KeyObjects, not Buffers: node:crypto then skips re-importing the key on every call, which made
  // sealing several times slower (it dominated a 100,000-row device import).
  readonly #encryptionKey: KeyObject;
  readonly #fingerprintKey: KeyObject;
  readonly #ivPool = Buffer.alloc(IV_POOL_SIZE);
  #ivOffset = IV_POOL_SIZE;

  /** From the 32-byte master key, or from keys another sealer derived from it (a sealing thread's). */
  constructor(key: Uint8Array | SealingKeys) {
    if (!(key instanceof Uint8Array)) {
      this.#encryptionKey = key.encryptionKey;
      this.#fingerprintKey = key.fingerprintKey;
      this.keyId = Buffer.from(key.keyId);
      return;
    }
    if (key.length !== 32) throw new SealingError(`the master key must be 32 bytes, got ${key.length}`);
    this.#encryptionKey = createSecretKey(derive(key, 'lwm2m-hub sealing v1'));
    this.#fingerprintKey = createSecretKey(derive(key, 'lwm2m-hub fingerprint v1'));
    this.keyId = derive(key, 'lwm2m-hub key id v1').subarray(0, KEY_ID_LENGTH);
  }

  /** A sealer on a worker thread under this sealer's keys: a large import's sealing runs beside its appends. */
  openBulk(): BulkSecretSealer {
    return new WorkerBulkSealer({ encryptionKey: this.#encryptionKey, fingerprintKey: this.#fingerprintKey, keyId: this.keyId });
  }

  seal(plaintext: Uint8Array): SealedSecret {
    const iv = this.#nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_LENGTH });
    cipher.setAAD(this.keyId);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const sealed = Buffer.concat([this.keyId, iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
    return { sealed, fingerprint: this.fingerprint(plaintext) };
  }

  #nextIv(): Buffer {
    if (this.#ivOffset === IV_POOL_SIZE) {
      randomFillSync(this.#ivPool);
      this.#ivOffset = 0;
    }
    // A copy: the pool's bytes are overwritten when it is refilled.
    const iv = Buffer.from(this.#ivPool.subarray(this.#ivOffset, this.#ivOffset + IV_LENGTH));
    this.#ivOffset += IV_LENGTH;
    return iv;
  }

  open(secret: SealedSecret): Uint8Array {
    const bytes = Buffer.from(secret.sealed, 'base64url');
    if (bytes.length < KEY_ID_LENGTH + IV_LENGTH + TAG_LENGTH) throw new SealingError('sealed secret is truncated');
    const keyId = bytes.subarray(0, KEY_ID_LENGTH);
    if (!timingSafeEqual(keyId, this.keyId)) {
      throw new SealingError('sealed secret was sealed under another master key (check LWM2M_HUB_MASTER_KEY)');
    }
    const iv = bytes.subarray(KEY_ID_LENGTH, KEY_ID_LENGTH + IV_LENGTH);
    const tag = bytes.subarray(KEY_ID_LENGTH + IV_LENGTH, KEY_ID_LENGTH + IV_LENGTH + TAG_LENGTH);
    const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(keyId);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(bytes.subarray(KEY_ID_LENGTH + IV_LENGTH + TAG_LENGTH)), decipher.final()]);
    } catch {
      throw new SealingError('sealed secret failed authentication: it was altered or the master key is wrong');
    }
  }

  fingerprint(plaintext: Uint8Array): string {
    return createHmac('sha256', this.#fingerprintKey).update(plaintext).digest('base64url');
  }
}

function derive(masterKey: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
}
