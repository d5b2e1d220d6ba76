import { describe, expect, it } from 'vitest';
import { CookieIssuer } from '../../../src/adapters/dtls/CookieIssuer.ts';
import type { ClientHello } from '../../../src/adapters/dtls/ClientHello.ts';
import type { Clock } from '../../../src/domain/Clock.ts';

const hello: ClientHello = {
  clientVersion: 0xfefd,
  random: Buffer.alloc(32, 5),
  sessionId: Buffer.alloc(0),
  cookie: Buffer.alloc(0),
  cipherSuites: [0xc0a8],
  compressionMethods: Buffer.from([0]),
  extensions: [],
};

function manualClock(): Clock & { advance(ms: number): void } {
  let now = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}

describe('CookieIssuer (RFC 6347 section 4.2.1)', () => {
  it('accepts its cookie from the same address, port and hello only', () => {
    const issuer = new CookieIssuer(manualClock(), 60_000);
    const cookie = issuer.issue('10.0.0.1', 5684, hello);
    expect(issuer.verify('10.0.0.1', 5684, { ...hello, cookie })).toBe(true);
    expect(issuer.verify('10.0.0.1', 5685, { ...hello, cookie })).toBe(false);
    expect(issuer.verify('10.0.0.2', 5684, { ...hello, cookie })).toBe(false);
    expect(issuer.verify('10.0.0.1', 5684, { ...hello, cookie, random: Buffer.alloc(32, 6) })).toBe(false);
    expect(issuer.verify('10.0.0.1', 5684, { ...hello, cookie, cipherSuites: [0x00ae] })).toBe(false);
    expect(issuer.verify('10.0.0.1', 5684, { ...hello, cookie: Buffer.alloc(16) })).toBe(false);
    expect(issuer.verify('10.0.0.1', 5684, hello)).toBe(false);
  });

  it('keeps a cookie valid across one rotation, not two', () => {
    const clock = manualClock();
    const issuer = new CookieIssuer(clock, 60_000);
    const cookie = issuer.issue('10.0.0.1', 5684, hello);
    clock.advance(61_000);
    expect(issuer.verify('10.0.0.1', 5684, { ...hello, cookie })).toBe(true);
    clock.advance(61_000);
    expect(issuer.verify('10.0.0.1', 5684, { ...hello, cookie })).toBe(false);
  });

  it('does not accept a cookie from another server instance', () => {
    const clock = manualClock();
    const cookie = new CookieIssuer(clock, 60_000).issue('10.0.0.1', 5684, hello);
    expect(new CookieIssuer(clock, 60_000).verify('10.0.0.1', 5684, { ...hello, cookie })).toBe(false);
  });
});
