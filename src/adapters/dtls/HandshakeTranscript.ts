/**
 * The handshake messages that enter the Finished and session hashes. RFC 6347 section 4.2.1: the first
 * ClientHello and the HelloVerifyRequest are left out; every message enters in its unfragmented DTLS form
 * with the 12-byte header (section 4.2.6). The messages are kept too: a CertificateVerify signs them
 * themselves, not their hash (RFC 5246 section 7.4.8), and node:crypto's ECDSA hashes what it verifies.
 */
import { hash } from 'node:crypto';

export class HandshakeTranscript {
  private readonly messages: Buffer[] = [];

  add(message: Buffer): void {
    this.messages.push(message);
  }

  /**
   * The hash of everything added so far; adding more afterwards stays possible. A one-shot hash over
   * the few hundred bytes of a PSK handshake costs less than a running Hash object and its copies.
   */
  digest(): Buffer {
    return hash('sha256', this.bytes(), 'buffer');
  }

  /** Everything added so far, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.messages);
  }
}
