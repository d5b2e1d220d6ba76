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
  after: (delayMs, action) => new SystemTimer(delayMs, action),
  every: (periodMs, action) => {
    const interval = setInterval(action, periodMs);
    interval.unref();
    return { cancel: () => clearInterval(interval) };
  },
};

/**
 * One `after` of the system timers. Node measures a timer from its event loop's time, read in whole
 * milliseconds and only once per turn, so a timer can fire up to a millisecond or so early; a deadline
 * on the wall clock would then not have passed yet, and a check of it would decide nothing. Woken
 * early, it waits out the rest. A class with the timer handed to setTimeout as its argument, not
 * closures: the CoAP endpoint starts and cancels one per confirmable request (its piggyback window).
 */
class SystemTimer implements Timer {
  readonly #due: number;
  readonly #action: () => void;
  #timeout: NodeJS.Timeout;

  constructor(delayMs: number, action: () => void) {
    this.#due = performance.now() + delayMs;
    this.#action = action;
    this.#timeout = setTimeout(wake, delayMs, this);
  }

  cancel(): void {
    clearTimeout(this.#timeout);
  }

  wake(): void {
    const left = this.#due - performance.now();
    if (left > 0) this.#timeout = setTimeout(wake, Math.ceil(left), this);
    else this.#action();
  }
}

function wake(timer: SystemTimer): void {
  timer.wake();
}
