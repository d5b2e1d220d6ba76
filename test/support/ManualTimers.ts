/** Timers on a clock that moves only when the test says so: what fires, fires inside `advance`. */
import type { Clock } from '../../src/domain/Clock.ts';
import type { Randomness } from '../../src/adapters/runtime/Randomness.ts';
import type { Timer, Timers } from '../../src/adapters/runtime/Timers.ts';

interface Scheduled {
  at: number;
  readonly order: number;
  readonly action: () => void;
  readonly periodMs: number | undefined;
  cancelled: boolean;
}

export class ManualTimers implements Timers {
  #now = 0;
  #order = 0;
  #scheduled: Scheduled[] = [];

  now(): number {
    return this.#now;
  }

  /**
   * The wall clock that moves with these timers, from `start`: a service that computes a deadline from
   * its clock and waits for it on its timers sees both agree.
   */
  wallClock(start = Date.parse('2026-01-01T00:00:00Z')): Clock {
    return { now: () => new Date(start + this.#now) };
  }

  after(delayMs: number, action: () => void): Timer {
    return this.#schedule(delayMs, action, undefined);
  }

  every(periodMs: number, action: () => void): Timer {
    return this.#schedule(periodMs, action, periodMs);
  }

  /** Moves time forward by `ms`, running each timer that falls due on the way at its own time, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (let next = this.#next(target); next; next = this.#next(target)) {
      this.#now = next.at;
      if (next.periodMs === undefined) next.cancelled = true;
      else next.at += next.periodMs;
      next.action();
    }
    this.#now = target;
  }

  #next(target: number): Scheduled | undefined {
    this.#scheduled = this.#scheduled.filter((entry) => !entry.cancelled);
    let earliest: Scheduled | undefined;
    for (const entry of this.#scheduled) {
      if (entry.at > target) continue;
      if (!earliest || entry.at < earliest.at || (entry.at === earliest.at && entry.order < earliest.order)) earliest = entry;
    }
    return earliest;
  }

  #schedule(delayMs: number, action: () => void, periodMs: number | undefined): Timer {
    const entry: Scheduled = { at: this.#now + delayMs, order: this.#order++, action, periodMs, cancelled: false };
    this.#scheduled.push(entry);
    return { cancel: () => { entry.cancelled = true; } };
  }
}

/** Randomness fixed by the test: `fraction` always returns the same number, bytes count up from `firstByte`. */
export function fixedRandomness(fraction: number, firstByte = 0): Randomness {
  return { fraction: () => fraction, bytes: (count) => Uint8Array.from({ length: count }, (_, index) => (firstByte + index) & 0xff) };
}
