/**
 * Stateless cookies for the HelloVerifyRequest exchange (RFC 6347 section 4.2.1): the cookie is an HMAC
 * over the client's address and port and the ClientHello parameters, under a secret that rotates, so the
 * server keeps no per-peer state until a client proves it receives at its source address. The previous
 * secret stays valid for one rotation period, so a cookie issued just before a rotation still works.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import type { ClientHello } from './ClientHello.ts';
import { HmacSha256 } from './HmacSha256.ts';

const COOKIE_LENGTH = 16;

export class CookieIssuer {
  private readonly clock: Clock;
  private readonly rotationMs: number;
  private current: HmacSha256;
  private previous: HmacSha256;
  private rotatedAt: number;

  constructor(clock: Clock, rotationMs: number) {
    this.clock = clock;
    this.rotationMs = rotationMs;
    this.current = freshSecret();
    this.previous = freshSecret();
    this.rotatedAt = clock.now().getTime();
  }

  issue(address: string, port: number, hello: ClientHello): Buffer {
    this.rotateIfDue();
    return cookieFor(this.current, address, port, hello);
  }

  verify(address: string, port: number, hello: ClientHello): boolean {
    this.rotateIfDue();
    if (hello.cookie.length !== COOKIE_LENGTH) return false;
    return (
      timingSafeEqual(hello.cookie, cookieFor(this.current, address, port, hello)) ||
      timingSafeEqual(hello.cookie, cookieFor(this.previous, address, port, hello))
    );
  }

  private rotateIfDue(): void {
    const now = this.clock.now().getTime();
    if (now - this.rotatedAt < this.rotationMs) return;
    // After two periods of silence the previous secret is as stale as the current one.
    this.previous = now - this.rotatedAt < 2 * this.rotationMs ? this.current : freshSecret();
    this.current = freshSecret();
    this.rotatedAt = now;
  }
}

/** The cookie covers the parameters the client must repeat unchanged in its second ClientHello (RFC 6347 section 4.2.1). */
function freshSecret(): HmacSha256 {
  return new HmacSha256(randomBytes(32), 128);
}

function cookieFor(secret: HmacSha256, address: string, port: number, hello: ClientHello): Buffer {
  const fields = Buffer.allocUnsafe(5);
  fields.writeUInt16BE(port, 0);
  fields.writeUInt16BE(hello.clientVersion, 2);
  fields[4] = hello.sessionId.length;
  const suites = Buffer.allocUnsafe(hello.cipherSuites.length * 2);
  hello.cipherSuites.forEach((suite, index) => suites.writeUInt16BE(suite, index * 2));
  return secret
    .digest(Buffer.from(address, 'utf8'), fields, hello.random, hello.sessionId, suites, hello.compressionMethods)
    .subarray(0, COOKIE_LENGTH);
}
