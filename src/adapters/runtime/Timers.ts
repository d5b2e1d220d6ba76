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
  /** Runs `action` once after `delayMs`. */
  after(delayMs: number, action: () => void): Timer;
  /** Runs `action` every `periodMs` for housekeeping; it does not keep the process alive. */
  every(periodMs: number, action: () => void): Timer;
}

export const systemTimers: Timers = {
  now: () => performance.now(),
  after: (delayMs, action) => {
    const timeout = setTimeout(action, delayMs);
    return { cancel: () => clearTimeout(timeout) };
  },
  every: (periodMs, action) => {
    const interval = setInterval(action, periodMs);
    interval.unref();
    return { cancel: () => clearInterval(interval) };
  },
};
