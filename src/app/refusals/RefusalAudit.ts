/**
 * The audit of refused requests of one interface, bounded (RefusalTally.ts): it tells the interface
 * whether a refusal may be recorded as its own event, counts the others, and appends each window's
 * count as a `RefusedRequestsCounted` event on `refusals-<interface>`. The count is appended when the
 * next refusal arrives after its window, or by a timer at the window's end when none does, and at
 * `close` for the window under way, so that no counted refusal is lost at a stop. Time comes from
 * the injected clock.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import { RefusalTally, defaultRefusalTallyPolicy, refusedRequestsStream } from '../../domain/refusals/RefusalTally.ts';
import type { Refusal, RefusalTallyPolicy, RefusedRequestsCounted, RefusingInterface } from '../../domain/refusals/RefusalTally.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';

export interface RefusalAuditOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly interface: RefusingInterface;
  readonly policy?: Partial<RefusalTallyPolicy>;
}

export class RefusalAudit {
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #interface: RefusingInterface;
  readonly #tally: RefusalTally;
  #timer: NodeJS.Timeout | undefined;
  #appending: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: RefusalAuditOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#interface = options.interface;
    this.#tally = new RefusalTally(options.interface, { ...defaultRefusalTallyPolicy, ...options.policy });
  }

  /** True when the refusal may be recorded as its own event; otherwise it is counted. */
  admit(refusal: Refusal): boolean {
    const { individually, ended } = this.#tally.refuse(refusal, this.#clock.now());
    this.#settle(ended);
    return individually;
  }

  /** Counts a refusal that was admitted but not recorded (the interface's own rules dropped it). */
  count(refusal: Refusal): void {
    this.#settle(this.#tally.count(refusal, this.#clock.now()));
  }

  /** Appends the count of a window that has ended by now; resolves when every count so far is appended. */
  flush(): Promise<void> {
    this.#settle(this.#tally.end(this.#clock.now()));
    return this.#appending;
  }

  /** Appends the count of the window under way and stops the timer. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#settle(this.#tally.end(this.#clock.now(), true));
    this.#closed = true;
    await this.#appending;
  }

  #settle(ended: RefusedRequestsCounted | null): void {
    if (ended !== null) this.#append(ended);
    this.#schedule();
  }

  #append(counted: RefusedRequestsCounted): void {
    this.#logger.warn({ interface: counted.interface, refused: counted.count, from: counted.from, until: counted.until }, 'refused requests counted, not recorded one by one');
    this.#appending = this.#appending.then(async () => {
      try {
        await this.#store.appendToStream(
          refusedRequestsStream(this.#interface),
          [{ type: 'RefusedRequestsCounted', data: counted as unknown as JsonValue, metadata: { actor: `system:${this.#interface}`, schemaVersion: 1 } }],
          'any',
        );
      } catch (error: unknown) {
        this.#logger.error({ err: error, interface: counted.interface, refused: counted.count }, 'refused requests count could not be recorded');
      }
    });
  }

  /** A timer at the end of a window that holds a count, so that it is appended even if no refusal follows. */
  #schedule(): void {
    const until = this.#tally.pendingUntil;
    if (until === null || this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((error: unknown) => this.#logger.error({ err: error }, 'refused requests count could not be recorded'));
    }, Math.max(0, until.getTime() - this.#clock.now().getTime()));
    this.#timer.unref();
  }
}
