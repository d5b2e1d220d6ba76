/**
 * The system's timers keep their word: an action runs once its delay has elapsed on the monotonic
 * clock, never before, as a deadline check relies on (it decides nothing when it finds itself early).
 */
import { describe, expect, it } from 'vitest';
import { systemTimers } from '../../../src/adapters/runtime/Timers.ts';

/** The event loop's clock (libuv's, which Node's timers count on) in whole milliseconds, as it reads it. */
function loopMilliseconds(): bigint {
  return process.hrtime.bigint() / 1_000_000n;
}

/** Busy until the monotonic clock is at least `fraction` of the way through its current millisecond. */
function spinToFraction(fraction: number): void {
  while (Number(process.hrtime.bigint() % 1_000_000n) < fraction * 1_000_000) {
    // spinning on purpose: the test places each timer at a chosen point of a millisecond
  }
}

describe('systemTimers', () => {
  it('runs no action before its delay has elapsed on now(), even one started late in a millisecond', async () => {
    const early: number[] = [];
    for (let trial = 0; trial < 20; trial++) {
      // Late in a millisecond: Node counts the timer from the start of it, almost a millisecond too soon.
      spinToFraction(0.9);
      const scheduledAt = systemTimers.now();
      const started = loopMilliseconds();
      const fired = new Promise<number>((resolve) => systemTimers.after(1, () => resolve(systemTimers.now())));
      // Into the next millisecond before the event loop looks at its timers again.
      while (loopMilliseconds() === started) {
        // spinning on purpose
      }
      const firedAt = await fired;
      if (firedAt - scheduledAt < 1) early.push(1 - (firedAt - scheduledAt));
    }
    expect(early).toEqual([]);
  });

  it('runs nothing once cancelled', async () => {
    let ran = false;
    systemTimers.after(1, () => (ran = true)).cancel();
    await new Promise<void>((resolve) => systemTimers.after(20, resolve));
    expect(ran).toBe(false);
  });
});
