/**
 * Refused requests of one interface (registration, bootstrap, the secure ports' handshakes) counted per time window, so that a
 * flood of requests for made-up endpoint names cannot grow the event log without bound. Requests
 * for made-up names cost an attacker nothing, and each used to be an event: a sustained 10 per
 * second appended 864,000 a day.
 *
 * In each window of `windowSeconds`, the first `individualLimit` refusals may be recorded as their
 * own events (the detail an operator needs for a misconfigured device); every other refusal is only
 * counted, and the window ends in one RefusedRequestsCounted event that says how many, for which
 * reasons, from which source addresses and for which endpoint names: the `topCount` most frequent of
 * each by name, and how many came from the others. The log then grows by at most
 * `individualLimit` + 1 events per window, whatever the rate, and every refusal is still counted.
 *
 * Memory is bounded as well: at most `trackedNames` distinct addresses and endpoint names are
 * counted by name in a window; refusals beyond are counted among the others only (a flood from many
 * sources still shows its total and its heaviest senders, the ones seen first).
 *
 * Pure: the time is passed in.
 */

/** `security`: failed DTLS and TLS handshakes and identity mismatches on the secure ports. */
export type RefusingInterface = 'registration' | 'bootstrap' | 'security';

/** One refused request: the name it asked for, where it came from, why it was refused. */
export interface Refusal {
  readonly endpoint: string;
  readonly address: string;
  readonly reason: string;
}

export interface NamedCount {
  readonly name: string;
  readonly count: number;
}

/** The refusals of one window that were not recorded as their own events. */
export interface RefusedRequestsCounted {
  readonly interface: RefusingInterface;
  /** The window, ISO times: from (inclusive) until (exclusive). */
  readonly from: string;
  readonly until: string;
  readonly count: number;
  readonly reasons: readonly NamedCount[];
  /** Source addresses, most refusals first. */
  readonly sources: readonly NamedCount[];
  /** Refusals from addresses not listed in `sources`. */
  readonly otherSources: number;
  /** Endpoint names asked for, most refusals first. */
  readonly endpoints: readonly NamedCount[];
  /** Refusals for names not listed in `endpoints`. */
  readonly otherEndpoints: number;
}

export const refusedRequestsStreamPrefix = 'refusals-';

/** The stream of an interface's counted refusals, e.g. `refusals-registration`. */
export function refusedRequestsStream(refusing: RefusingInterface): string {
  return `${refusedRequestsStreamPrefix}${refusing}`;
}

export interface RefusalTallyPolicy {
  readonly windowSeconds: number;
  readonly individualLimit: number;
  readonly topCount: number;
  readonly trackedNames: number;
}

/** A minute; 20 refusals in detail, then counted: at most 21 events a minute, 30,240 a day. */
export const defaultRefusalTallyPolicy: RefusalTallyPolicy = { windowSeconds: 60, individualLimit: 20, topCount: 10, trackedNames: 1_000 };

interface Window {
  readonly start: number;
  individual: number;
  count: number;
  readonly reasons: Map<string, number>;
  readonly sources: Map<string, number>;
  readonly endpoints: Map<string, number>;
}

export class RefusalTally {
  readonly #interface: RefusingInterface;
  readonly #policy: RefusalTallyPolicy;
  #window: Window | null = null;

  constructor(refusing: RefusingInterface, policy: RefusalTallyPolicy = defaultRefusalTallyPolicy) {
    this.#interface = refusing;
    this.#policy = policy;
  }

  /**
   * Whether the refusal may be recorded as its own event (within the window's individual limit); when
   * not, it is counted. `ended` is the count of a window that ended before `now`, to record.
   */
  refuse(refusal: Refusal, now: Date): { readonly individually: boolean; readonly ended: RefusedRequestsCounted | null } {
    const ended = this.#roll(now);
    const window = this.#current(now);
    if (window.individual < this.#policy.individualLimit) {
      window.individual++;
      return { individually: true, ended };
    }
    this.#add(window, refusal);
    return { individually: false, ended };
  }

  /** Counts a refusal that was let through as an individual one but not recorded (its own rules dropped it). */
  count(refusal: Refusal, now: Date): RefusedRequestsCounted | null {
    const ended = this.#roll(now);
    this.#add(this.#current(now), refusal);
    return ended;
  }

  /** The count of the window if it has ended by `now` (or at once with `closing`); null when there is nothing to record. */
  end(now: Date, closing = false): RefusedRequestsCounted | null {
    if (closing) {
      const window = this.#window;
      this.#window = null;
      return window === null ? null : this.#counted(window, now.getTime());
    }
    return this.#roll(now);
  }

  /** When the current window ends, if a count is waiting for it; null otherwise. */
  get pendingUntil(): Date | null {
    return this.#window === null || this.#window.count === 0 ? null : new Date(this.#window.start + this.#policy.windowSeconds * 1000);
  }

  #roll(now: Date): RefusedRequestsCounted | null {
    const window = this.#window;
    if (window === null) return null;
    const until = window.start + this.#policy.windowSeconds * 1000;
    if (now.getTime() < until) return null;
    this.#window = null;
    return this.#counted(window, until);
  }

  #current(now: Date): Window {
    this.#window ??= { start: now.getTime(), individual: 0, count: 0, reasons: new Map(), sources: new Map(), endpoints: new Map() };
    return this.#window;
  }

  #add(window: Window, refusal: Refusal): void {
    window.count++;
    this.#increment(window.reasons, refusal.reason);
    this.#increment(window.sources, refusal.address);
    this.#increment(window.endpoints, refusal.endpoint);
  }

  #increment(counts: Map<string, number>, name: string): void {
    const count = counts.get(name);
    if (count !== undefined) counts.set(name, count + 1);
    else if (counts.size < this.#policy.trackedNames) counts.set(name, 1);
  }

  #counted(window: Window, until: number): RefusedRequestsCounted | null {
    if (window.count === 0) return null;
    const sources = this.#top(window.sources);
    const endpoints = this.#top(window.endpoints);
    return {
      interface: this.#interface,
      from: new Date(window.start).toISOString(),
      until: new Date(until).toISOString(),
      count: window.count,
      reasons: this.#top(window.reasons),
      sources,
      otherSources: window.count - total(sources),
      endpoints,
      otherEndpoints: window.count - total(endpoints),
    };
  }

  #top(counts: Map<string, number>): NamedCount[] {
    return [...counts]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, this.#policy.topCount);
  }
}

function total(counts: readonly NamedCount[]): number {
  return counts.reduce((sum, { count }) => sum + count, 0);
}
