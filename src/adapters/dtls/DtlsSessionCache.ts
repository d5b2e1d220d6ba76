/**
 * The sessions a client may resume with an abbreviated handshake (RFC 5246 section 7.3, as DTLS 1.2
 * uses it, RFC 6347 section 4.2.4 figure 2), keyed by the session ID of the ServerHello that created
 * them. Bounded in number (the oldest goes first) and in lifetime (RFC 5246 appendix F.1.4: an upper
 * limit of 24 hours is suggested). Each entry is bound to what authenticated the original handshake: a
 * resumed session authenticates as the original one.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { CipherSuiteName } from './CipherSuites.ts';

export interface ResumableSession {
  readonly sessionId: Buffer;
  /** Key material: never logged. */
  readonly masterSecret: Buffer;
  readonly cipherSuite: CipherSuiteName;
  readonly pskIdentity: Buffer;
  /** SHA-256 of the PSK the session was made with: a key changed since then refuses the resumption. */
  readonly pskFingerprint: Buffer;
}

interface CacheEntry {
  readonly session: ResumableSession;
  readonly expiresAt: number;
}

export class DtlsSessionCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly lifetimeMs: number;

  constructor(clock: Clock, maxEntries: number, lifetimeMs: number) {
    this.clock = clock;
    this.maxEntries = maxEntries;
    this.lifetimeMs = lifetimeMs;
  }

  add(session: ResumableSession): void {
    if (this.maxEntries <= 0) return;
    const key = session.sessionId.toString('hex');
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { session, expiresAt: this.clock.now().getTime() + this.lifetimeMs });
  }

  /** The session of that ID, unless unknown or expired (an expired one is forgotten). */
  find(sessionId: Buffer): ResumableSession | undefined {
    if (sessionId.length === 0) return undefined;
    const key = sessionId.toString('hex');
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.clock.now().getTime() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.session;
  }

  remove(sessionId: Buffer): void {
    this.entries.delete(sessionId.toString('hex'));
  }

  get size(): number {
    return this.entries.size;
  }
}
