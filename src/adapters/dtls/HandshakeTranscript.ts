/**
 * The handshake messages that enter the Finished and session hashes. RFC 6347 section 4.2.1: the first
 * ClientHello and the HelloVerifyRequest are left out; every message enters in its unfragmented DTLS form
 * with the 12-byte header (section 4.2.6).
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';

export class HandshakeTranscript {
  private readonly hash: Hash = createHash('sha256');

  add(message: Buffer): void {
    this.hash.update(message);
  }

  /** The hash of everything added so far; adding more afterwards stays possible. */
  digest(): Buffer {
    return this.hash.copy().digest();
  }
}
