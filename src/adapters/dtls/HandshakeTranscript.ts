/**
 * The handshake messages that enter the Finished and session hashes. RFC 6347 section 4.2.1: the first
 * ClientHello and the HelloVerifyRequest are left out; every message enters in its unfragmented DTLS form
 * with the 12-byte header (section 4.2.6). The messages are kept too: a CertificateVerify signs them
 * themselves, not their hash (RFC 5246 section 7.4.8), and node:crypto's ECDSA hashes what it verifies.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';

export class HandshakeTranscript {
  private readonly hash: Hash = createHash('sha256');
  private readonly messages: Buffer[] = [];

  add(message: Buffer): void {
    this.hash.update(message);
    this.messages.push(message);
  }

  /** The hash of everything added so far; adding more afterwards stays possible. */
  digest(): Buffer {
    return this.hash.copy().digest();
  }

  /** Everything added so far, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.messages);
  }
}
