/**
 * A secret (a PSK key, an API token) as it may appear in an event: encrypted, never in clear.
 * `fingerprint` is a keyed hash of the plaintext, so that a re-import can tell "unchanged" from
 * "changed" without decrypting; it reveals nothing without the master key.
 */
export interface SealedSecret {
  /** base64url of keyId(8) | iv(12) | tag(16) | ciphertext, AES-256-GCM. */
  readonly sealed: string;
  /** base64url HMAC-SHA256 of the plaintext under a key derived from the master key. */
  readonly fingerprint: string;
}

/** Encrypts secrets before they enter an event. Implemented in adapters (it needs randomness). */
export interface SecretSealer {
  seal(plaintext: Uint8Array): SealedSecret;
  open(secret: SealedSecret): Uint8Array;
  fingerprint(plaintext: Uint8Array): string;
  /** Opens a sealer of many secrets on another thread, under the same keys; absent where there is none. */
  openBulk?(): BulkSecretSealer;
}

/** Seals many secrets off the caller's thread (a large import's keys, while its rows are appended). */
export interface BulkSecretSealer {
  /**
   * Seals each plaintext, as `SecretSealer.seal` would. The plaintexts are copied before this returns,
   * so the caller zeroes its own at once; the copies are zeroed once sealed.
   */
  sealAll(plaintexts: readonly Uint8Array[]): Promise<SealedSecret[]>;
  /** Ends the thread; a `sealAll` not answered yet then rejects. */
  close(): Promise<void>;
}

/** Recognises a sealed secret by its shape: an object with exactly `sealed` and `fingerprint` strings. */
export function isSealedSecret(value: unknown): value is SealedSecret {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  return keys.length === 2 && typeof record['sealed'] === 'string' && typeof record['fingerprint'] === 'string';
}
