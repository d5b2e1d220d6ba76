/**
 * Random bytes taken from a buffer filled 4 KiB at a time: each handshake needs a server random (RFC
 * 5246 section 7.4.1.3) and often a session ID, and each `randomBytes` call pays the way into OpenSSL's
 * generator for 32 bytes. Every piece handed out is a copy, so refilling the pool changes none of them.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;

export class RandomPool {
  readonly #pool = Buffer.alloc(POOL_SIZE);
  #offset = POOL_SIZE;

  take(length: number): Buffer {
    if (length > POOL_SIZE) return randomFillSync(Buffer.alloc(length));
    if (this.#offset + length > POOL_SIZE) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const bytes = Buffer.from(this.#pool.subarray(this.#offset, this.#offset + length));
    this.#offset += length;
    return bytes;
  }
}

/** The process's pool for the DTLS servers' randoms, session IDs and connection IDs (JavaScript runs them one at a time). */
export const handshakeRandoms = new RandomPool();
