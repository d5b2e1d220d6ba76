/**
 * Appends security audit events within the refused-requests audit's per-window limit (RefusalAudit):
 * the first ones of each window on the device's or source's `security-...` stream, as its history
 * shows them, the others counted into one `RefusedRequestsCounted` event a window on
 * `refusals-security`, so that a flood of failing handshakes (made-up identities, or many sources)
 * cannot grow the event store without bound, and every one of them is still counted. Neither kind of
 * event carries key material.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { Refusal, RefusalTallyPolicy } from '../../domain/refusals/RefusalTally.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { SecurityAuditEvent } from '../../domain/security/SecurityAuditEvents.ts';
import { RefusalAudit } from '../refusals/RefusalAudit.ts';

export interface SecurityAuditLogOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** RefusalTally's defaults when absent. */
  readonly policy?: Partial<RefusalTallyPolicy>;
}

export class SecurityAuditLog {
  readonly #store: EventStore;
  readonly #logger: Logger;
  readonly #refusals: RefusalAudit;
  #unrecorded = 0;

  constructor(options: SecurityAuditLogOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#refusals = new RefusalAudit({ store: options.store, clock: options.clock, logger: options.logger, interface: 'security', policy: options.policy });
  }

  /** How many events were not recorded one by one since the start (counted on `refusals-security`). */
  get unrecorded(): number {
    return this.#unrecorded;
  }

  /** Appends the event within the window's limit, else counts it; true when it was recorded. Never throws. */
  async record(stream: string, event: SecurityAuditEvent, actor: string): Promise<boolean> {
    const refusal = refusalOf(event);
    if (!this.#refusals.admit(refusal)) {
      this.#unrecorded++;
      return false;
    }
    try {
      await this.#store.appendToStream(stream, [{ type: event.type, data: event.data as unknown as JsonValue, metadata: { actor, schemaVersion: 1 } }], 'any');
      return true;
    } catch (error: unknown) {
      this.#unrecorded++;
      this.#refusals.count(refusal);
      this.#logger.error({ err: error, stream, type: event.type }, 'security audit event could not be recorded');
      return false;
    }
  }

  /** Appends the count of a window that has ended by now; resolves when every count so far is appended. */
  flush(): Promise<void> {
    return this.#refusals.flush();
  }

  /** Appends the count of the window under way. */
  close(): Promise<void> {
    return this.#refusals.close();
  }
}

/** The event as a refusal to count: the name it concerns, its source, and its kind with the reason. */
function refusalOf(event: SecurityAuditEvent): Refusal {
  switch (event.type) {
    case 'DtlsHandshakeFailed':
    case 'TlsHandshakeFailed': {
      const { data } = event;
      const endpoint = data.endpoint ?? data.pskIdentity ?? data.credential?.namedEndpoint ?? '';
      return { endpoint, address: data.address, reason: `${event.type}: ${data.reason}` };
    }
    case 'PskIdentityMismatch':
    case 'CredentialEndpointMismatch':
      return { endpoint: event.data.requestedEndpoint, address: event.data.address, reason: event.type };
  }
}
