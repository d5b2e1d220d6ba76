/**
 * The handshake messages that enter the Finished and session hashes. RFC 6347 section 4.2.1: the first
 * ClientHello and the HelloVerifyRequest are left out; every message enters in its unfragmented DTLS form
 * with the 12-byte header (section 4.2.6). The messages are kept too: a CertificateVerify signs them
 * themselves, not their hash (RFC 5246 section 7.4.8), and node:crypto's ECDSA hashes what it verifies.
 */
import { hash } from 'node:crypto';

export class HandshakeTranscript {
  private readonly messages: Buffer[] = [];
  /** The digest of the messages so far, once asked for; a PSK handshake asks twice for the same one. */
  private digested: Buffer | undefined;

  add(message: Buffer): void {
    this.messages.push(message);
    this.digested = undefined;
  }

  /**
   * The hash of everything added so far; adding more afterwards stays possible. A one-shot hash over
   * the few hundred bytes of a PSK handshake costs less than a running Hash object and its copies. With
   * PSK the session hash (RFC 7627 section 3) and the client Finished's hash (RFC 5246 section 7.4.9)
   * cover the same messages, so the second is the first, kept.
   */
  digest(): Buffer {
    this.digested ??= hash('sha256', this.bytes(), 'buffer');
    return this.digested;
  }

  /** Everything added so far, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.messages);
  }
}
