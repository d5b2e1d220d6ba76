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
  readonly key: string;
  readonly session: ResumableSession;
  readonly expiresAt: number;
}

export class DtlsSessionCache {
  private readonly entries = new Map<string, CacheEntry>();
  /**
   * The entries in the order they were added, the oldest at `head`; one replaced or removed since stays
   * here until passed over. The oldest is found here, not by iterating the map: a Map's iterator steps
   * over the slots of every entry deleted from its front since the table was last rebuilt, which cost
   * about 8 µs per handshake with 10,000 sessions cached (BENCHMARKS.md, "PSK handshakes").
   */
  private order: CacheEntry[] = [];
  private head = 0;
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
    while (this.entries.size >= this.maxEntries && this.head < this.order.length) {
      const oldest = this.order[this.head++];
      if (oldest !== undefined && this.entries.get(oldest.key) === oldest) this.entries.delete(oldest.key);
    }
    const entry: CacheEntry = { key, session, expiresAt: this.clock.now().getTime() + this.lifetimeMs };
    this.entries.set(key, entry);
    this.order.push(entry);
    // Bounded: what was passed over, or replaced and removed, is dropped once it outnumbers the cache.
    if (this.head > this.maxEntries || this.order.length - this.head > 2 * this.maxEntries) {
      this.order = this.order.slice(this.head).filter((kept) => this.entries.get(kept.key) === kept);
      this.head = 0;
    }
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
