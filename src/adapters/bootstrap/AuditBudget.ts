/**
 * A token bucket over recorded refusals: at most `burst` at once, refilled at `perSecond`. Requests
 * for made-up endpoint names cost an attacker nothing; recording each as an event would let a flood
 * fill the event store, so beyond the budget they are still refused but only counted in the logs.
 */
import type { Clock } from '../../domain/Clock.ts';

export class AuditBudget {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #refillPerMs: number;
  #tokens: number;
  #lastRefill: number;

  constructor(clock: Clock, burst: number, perSecond: number) {
    this.#clock = clock;
    this.#burst = burst;
    this.#refillPerMs = perSecond / 1000;
    this.#tokens = burst;
    this.#lastRefill = clock.now().getTime();
  }

  /** Takes one token; false when the budget is spent. */
  take(): boolean {
    const now = this.#clock.now().getTime();
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#lastRefill) * this.#refillPerMs);
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
