/**
 * Appends security audit events within a budget: at most `burst` events at once, refilled at
 * `perSecond`, so that a flood of failing handshakes (made-up identities, or many sources) cannot fill
 * the event store. Events over the budget are only counted, and the count is logged.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { SecurityAuditEvent } from '../../domain/security/SecurityAuditEvents.ts';

export interface SecurityAuditLogOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default 20. */
  readonly burst?: number;
  /** Default 5. */
  readonly perSecond?: number;
}

export class SecurityAuditLog {
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #burst: number;
  readonly #refillPerMs: number;
  #tokens: number;
  #lastRefill: number;
  #unrecorded = 0;

  constructor(options: SecurityAuditLogOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#burst = options.burst ?? 20;
    this.#refillPerMs = (options.perSecond ?? 5) / 1000;
    this.#tokens = this.#burst;
    this.#lastRefill = this.#clock.now().getTime();
  }

  /** How many events were over the budget and not recorded since the start. */
  get unrecorded(): number {
    return this.#unrecorded;
  }

  /** Appends the event unless over the budget; true when it was recorded. Never throws. */
  async record(stream: string, event: SecurityAuditEvent, actor: string): Promise<boolean> {
    if (!this.#takeToken()) {
      this.#unrecorded++;
      this.#logger.warn({ stream, type: event.type, unrecorded: this.#unrecorded }, 'security audit event over the budget, not recorded');
      return false;
    }
    try {
      await this.#store.appendToStream(stream, [{ type: event.type, data: event.data as unknown as JsonValue, metadata: { actor, schemaVersion: 1 } }], 'any');
      return true;
    } catch (error: unknown) {
      this.#logger.error({ err: error, stream, type: event.type }, 'security audit event could not be recorded');
      return false;
    }
  }

  #takeToken(): boolean {
    const now = this.#clock.now().getTime();
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#lastRefill) * this.#refillPerMs);
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
