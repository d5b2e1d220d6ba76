/**
 * The operations of LwM2M Core 1.1 sections 6.3 and 6.4, as Leshan splits them: the per-device queue
 * ("operations are always queued", OperationQueues.ts), the presence of sleeping devices
 * (DevicePresence.ts) and the downlink sender (DownlinkSender.ts). The dispatcher wires them: it queues
 * and cancels, and delivers a device's pending operations, in order, one at a time, when the device is
 * reachable:
 * - in U binding, at once while it is registered;
 * - in queue mode (`Q`, or binding `UQ`; Core 1.1 section 6.5), for a while after each message from it
 *   (Register, Update, notification, Send); pending operations go out, in order, as it wakes up.
 * A request that times out puts the operation back at the head of the queue (up to the decider's
 * attempts) and the device is taken as asleep until it next sends something; then it is redelivered.
 *
 * Pending operations survive a restart: they are events. At start the queues are rebuilt from the log;
 * an operation that was in flight when the process stopped counts as timed out.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import type { OperationSpec } from '../../domain/operations/OperationEvents.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import { withReferenceStandIns } from '../observations/ContentReferences.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import type { DevicePresence } from './DevicePresence.ts';
import type { DownlinkSender } from './DownlinkSender.ts';
import type { OperationQueues } from './OperationQueues.ts';
import { validateOperation } from './OperationRequests.ts';

export interface OperationDispatcherOptions {
  readonly queues: OperationQueues;
  readonly sender: DownlinkSender;
  /** What is heard from the devices; the dispatcher delivers to a device when it is heard. */
  readonly presence: DevicePresence;
  readonly registrations: RegistrationLookup;
  readonly catalog: ObjectModelCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newOperationId?: () => string;
}

/** A queued operation: its id, and the log position of its request for a reader that must see it. */
export interface RequestedOperation {
  readonly operationId: string;
  readonly position: number | undefined;
}

export class OperationDispatcher {
  readonly #queues: OperationQueues;
  readonly #sender: DownlinkSender;
  readonly #presence: DevicePresence;
  readonly #registrations: RegistrationLookup;
  readonly #catalog: ObjectModelCatalog;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #newId: () => string;
  readonly #delivering = new Set<string>();
  readonly #again = new Set<string>();
  #closed = false;

  private constructor(options: OperationDispatcherOptions) {
    this.#queues = options.queues;
    this.#sender = options.sender;
    this.#registrations = options.registrations;
    this.#presence = options.presence;
    this.#presence.onHeard((endpoint) => this.#heard(endpoint));
    this.#catalog = options.catalog;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#newId = options.newOperationId ?? randomUUID;
  }

  /** Re-arms what was in flight when the process stopped, and delivers what it can. */
  static async start(options: OperationDispatcherOptions): Promise<OperationDispatcher> {
    const dispatcher = new OperationDispatcher(options);
    await dispatcher.#resume();
    return dispatcher;
  }

  /** Commands, not folds, so a step of its own once the queues are read: what was in flight when the process stopped. */
  async #resume(): Promise<void> {
    const withWork = this.#queues.withWork();
    for (const [endpoint, state] of withWork) {
      const inFlight = state.inFlight;
      // The process stopped while waiting for the answer: that attempt counts as unanswered.
      if (inFlight) await this.#queues.run(endpoint, { type: 'RecordTimeout', operationId: inFlight.operationId, now: this.#clock.now() }, 'system:operations');
      this.deviceReachable(endpoint, false);
    }
    this.#logger.info({ devicesWithPendingOperations: withWork.length }, 'operation queues loaded');
  }

  /** Queues an operation; it is delivered at once when the device is reachable. Returns its id and the position of its request. */
  async requestOperation(endpoint: string, operation: OperationSpec, actor: string, correlationId: string): Promise<RequestedOperation> {
    const standIns = withReferenceStandIns(operation);
    const valid = standIns.ok ? validateOperation(standIns.value, this.#catalog) : standIns;
    if (!valid.ok) throw new DomainError('BAD_USER_INPUT', `${operation.kind} ${operation.paths.join(', ')}: ${valid.reason}`, { endpoint });
    const operationId = this.#newId();
    const { position } = await this.#queues.run(endpoint, { type: 'RequestOperation', operationId, endpoint, operation, requestedBy: actor, correlationId, now: this.#clock.now() }, actor, correlationId);
    this.#kick(endpoint);
    return { operationId, position };
  }

  /** Cancels a waiting operation; returns the position of its cancellation (undefined when nothing changed). */
  async cancelOperation(endpoint: string, operationId: string, actor: string, reason: string | null): Promise<{ readonly position: number | undefined }> {
    const { position } = await this.#queues.run(endpoint, { type: 'CancelOperation', operationId, cancelledBy: actor, reason, now: this.#clock.now() }, actor);
    this.#kick(endpoint);
    return { position };
  }

  /**
   * A message from the device (Register, Update, notification, Send): a device in queue mode is
   * awake now (Core 1.1 section 6.5), and pending operations go out.
   */
  deviceReachable(endpoint: string, messageReceived = true): void {
    // The dispatcher hears of the message as the presence's listener.
    if (messageReceived) this.#presence.heard(endpoint);
    else this.#deliverWaiting(endpoint);
  }

  #heard(endpoint: string): void {
    this.#sender.abandonIfMoved(endpoint);
    this.#deliverWaiting(endpoint);
  }

  #deliverWaiting(endpoint: string): void {
    // A device without a queue with work has nothing to receive, and its notifications need no trip through the queue.
    if (!this.#queues.hasWork(endpoint)) return;
    this.#kick(endpoint);
  }

  /** Operations waiting or in flight for the device. */
  queueLength(endpoint: string): number {
    return this.#queues.length(endpoint);
  }

  close(): void {
    this.#closed = true;
  }

  #kick(endpoint: string): void {
    this.#deliver(endpoint).catch((error: unknown) => this.#logger.error({ err: error, endpoint }, 'operation delivery failed'));
  }

  /** One delivery loop per device at a time: one operation in flight (RFC 7252 section 4.7, NSTART 1). */
  async #deliver(endpoint: string): Promise<void> {
    if (this.#delivering.has(endpoint)) {
      this.#again.add(endpoint);
      return;
    }
    this.#delivering.add(endpoint);
    try {
      for (;;) {
        this.#again.delete(endpoint);
        if (this.#closed) return;
        const registration = this.#registrations.registration(endpoint);
        const { events, state } = await this.#queues.run(endpoint, { type: 'DeliverNext', reachable: this.#presence.isReachable(endpoint, registration), now: this.#clock.now() }, 'system:operations');
        const sent = events.find((event) => event.type === 'OperationSent');
        const inFlight = state.inFlight;
        if (!sent || !inFlight || !registration) {
          if (this.#again.has(endpoint)) continue;
          return;
        }
        await this.#sender.send(endpoint, registration, inFlight);
      }
    } finally {
      this.#delivering.delete(endpoint);
    }
  }
}
