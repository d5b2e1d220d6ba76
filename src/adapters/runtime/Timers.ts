/**
 * Timers and a monotonic clock, injected where behaviour depends on elapsed time (CoAP
 * retransmission, duplicate detection, block-wise transfer lifetimes, a service's deadlines), so that
 * tests of it move time themselves instead of sleeping. A port: the application services use it too.
 */
export interface Timer {
  cancel(): void;
}

export interface Timers {
  /** Milliseconds on a monotonic clock (only differences between two readings mean anything). */
  now(): number;
  /** Runs `action` once, when `delayMs` have elapsed on `now()` (never before). */
  after(delayMs: number, action: () => void): Timer;
  /** Runs `action` every `periodMs` for housekeeping; it does not keep the process alive. */
  every(periodMs: number, action: () => void): Timer;
}

export const systemTimers: Timers = {
  now: () => performance.now(),
  after: (delayMs, action) => {
    // Node measures a timer from its event loop's time, read in whole milliseconds and only once per
    // turn, so a timer can fire up to a millisecond or so early; a deadline on the wall clock would
    // then not have passed yet, and a check of it would decide nothing. Woken early, wait out the rest.
    const due = performance.now() + delayMs;
    let timeout: NodeJS.Timeout;
    const wake = (): void => {
      const left = due - performance.now();
      if (left > 0) timeout = setTimeout(wake, Math.ceil(left));
      else action();
    };
    timeout = setTimeout(wake, delayMs);
    return { cancel: () => clearTimeout(timeout) };
  },
  every: (periodMs, action) => {
    const interval = setInterval(action, periodMs);
    interval.unref();
    return { cancel: () => clearInterval(interval) };
  },
};
