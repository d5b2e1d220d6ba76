/**
 * HMAC-SHA256 (RFC 2104: H((K ^ opad) || H((K ^ ipad) || text))) over node:crypto's one-shot `hash`.
 * Why not `createHmac`: a handshake computes about a dozen HMACs (the PRF's rounds, RFC 5246 section
 * 5, and the cookie), and each `createHmac` builds a native Hmac object and imports its key, where two
 * one-shot hashes over buffers kept for the key build nothing (BENCHMARKS.md, "PSK handshakes": about a
 * quarter less CPU per PRF). The key's padded blocks are kept for as long as the object lives.
 */
import { hash } from 'node:crypto';

const BLOCK_LENGTH = 64; // SHA-256's block (RFC 6234 section 2)
const DIGEST_LENGTH = 32;

export class HmacSha256 {
  /** K ^ ipad, then room for the text. */
  #inner: Buffer;
  /** K ^ opad, then the inner hash. */
  readonly #outer: Buffer;

  /** @param textLength the longest text expected (the buffer grows beyond it when needed) */
  constructor(key: Uint8Array, textLength = DIGEST_LENGTH) {
    // RFC 2104 section 2: a key longer than the block is hashed first; a shorter one is padded with zeros.
    const k = key.length > BLOCK_LENGTH ? hash('sha256', key, 'buffer') : key;
    this.#inner = Buffer.allocUnsafe(BLOCK_LENGTH + textLength);
    this.#outer = Buffer.allocUnsafe(BLOCK_LENGTH + DIGEST_LENGTH);
    for (let index = 0; index < BLOCK_LENGTH; index++) {
      const byte = index < k.length ? (k[index] ?? 0) : 0;
      this.#inner[index] = byte ^ 0x36;
      this.#outer[index] = byte ^ 0x5c;
    }
  }

  /** The HMAC of the concatenation of `parts`. */
  digest(...parts: readonly Uint8Array[]): Buffer {
    let length = BLOCK_LENGTH;
    for (const part of parts) length += part.length;
    if (length > this.#inner.length) {
      const grown = Buffer.allocUnsafe(length);
      this.#inner.copy(grown, 0, 0, BLOCK_LENGTH);
      this.#inner = grown;
    }
    let offset = BLOCK_LENGTH;
    for (const part of parts) {
      this.#inner.set(part, offset);
      offset += part.length;
    }
    this.#outer.set(hash('sha256', this.#inner.subarray(0, length), 'buffer'), BLOCK_LENGTH);
    return hash('sha256', this.#outer, 'buffer');
  }
}
