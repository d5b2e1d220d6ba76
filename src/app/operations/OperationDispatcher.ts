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
 *
 * Several nodes may share the event store. An operation requested on any node is queued as an event;
 * the node that holds the device's registration sends it, whichever node appended the request (the
 * queues' view tells it of every queue with an operation to send), and the others never send to the
 * device. An attempt in flight from a node that has since lost the device is that node's to end: it
 * abandons the request when it sees the new registration. If it stopped instead, the new holder
 * records the attempt as timed out once the sender would have given up (MAX_TRANSMIT_WAIT, RFC 7252
 * section 4.8.2, counted from when it was sent) and delivers it again, as after a restart.
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

/**
 * RFC 7252 section 4.8.2: MAX_TRANSMIT_WAIT, the longest a sender waits for the answer to a confirmable
 * request; after it, the holder takes over another node's attempt.
 */
const maxTransmitWaitMs = 93_000;

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
  /** Devices whose attempt in flight from another node is taken over when due. */
  readonly #takeOvers = new Map<string, NodeJS.Timeout>();
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
    // Whichever node appended the event that left an operation to send: a request, a cancel or an
    // answer of this node's (the delivery loop goes on anyway), or another node's.
    this.#queues.onDeliverable((endpoint) => this.#deliverWaiting(endpoint));
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
      // The process stopped while waiting for the answer: that attempt counts as unanswered. Another
      // node's attempt is its own, or taken over when this node holds the device (#takeOver).
      if (inFlight && inFlight.sentBy === this.#registrations.nodeId) await this.#queues.run(endpoint, { type: 'RecordTimeout', operationId: inFlight.operationId, now: this.#clock.now() }, 'system:operations');
      this.deviceReachable(endpoint, false);
    }
    this.#logger.info({ devicesWithPendingOperations: withWork.length }, 'operation queues loaded');
  }

  /**
   * Queues an operation; it is delivered at once when the device is reachable (the queues' view tells
   * the dispatcher as it folds the request). Returns its id and the position of its request.
   */
  async requestOperation(endpoint: string, operation: OperationSpec, actor: string, correlationId: string): Promise<RequestedOperation> {
    const standIns = withReferenceStandIns(operation);
    const valid = standIns.ok ? validateOperation(standIns.value, this.#catalog) : standIns;
    if (!valid.ok) throw new DomainError('BAD_USER_INPUT', `${operation.kind} ${operation.paths.join(', ')}: ${valid.reason}`, { endpoint });
    const operationId = this.#newId();
    const { position } = await this.#queues.run(endpoint, { type: 'RequestOperation', operationId, endpoint, operation, requestedBy: actor, correlationId, now: this.#clock.now() }, actor, correlationId);
    return { operationId, position };
  }

  /** Cancels a waiting operation; returns the position of its cancellation (undefined when nothing changed). */
  async cancelOperation(endpoint: string, operationId: string, actor: string, reason: string | null): Promise<{ readonly position: number | undefined }> {
    const { position } = await this.#queues.run(endpoint, { type: 'CancelOperation', operationId, cancelledBy: actor, reason, now: this.#clock.now() }, actor);
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

  /** Whether this node holds the device's current registration: only then does it send the device requests. */
  holds(endpoint: string): boolean {
    return this.#registrations.heldRegistration(endpoint) !== undefined;
  }

  /**
   * The device registered with another node: this one stops sending to it. The request in flight is
   * abandoned (its operation goes back to the queue, for the new holder; an Observe's token is no
   * longer expected), and what was heard of the device is forgotten.
   */
  deviceHeldElsewhere(endpoint: string): void {
    this.#sender.abandonIfMoved(endpoint);
    this.#presence.forget(endpoint);
    clearTimeout(this.#takeOvers.get(endpoint));
    this.#takeOvers.delete(endpoint);
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

  /** Delivers no more; the requests in flight are abandoned, their attempts left in flight in the log (DownlinkSender.stop). */
  close(): void {
    this.#closed = true;
    this.#sender.stop();
    for (const timer of this.#takeOvers.values()) clearTimeout(timer);
    this.#takeOvers.clear();
  }

  #kick(endpoint: string): void {
    // A device another node holds gets nothing from this one: that node sends what is queued here.
    if (!this.holds(endpoint)) return;
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
        // Only the node holding the registration sends: to the others the device is never reachable.
        const registration = this.#registrations.heldRegistration(endpoint);
        if (registration) await this.#takeOver(endpoint);
        const nodeId = this.#registrations.nodeId;
        const deliver = { type: 'DeliverNext', reachable: this.#presence.isReachable(endpoint, registration), ...(nodeId === undefined ? {} : { nodeId }), now: this.#clock.now() } as const;
        const { events, state } = await this.#queues.run(endpoint, deliver, 'system:operations');
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

  /**
   * An attempt in flight from another node, to a device this node now holds: that node abandons it
   * when it sees the new registration; if it stopped, the attempt is recorded as timed out once it
   * would have been (its sent time plus MAX_TRANSMIT_WAIT), so that it goes out again from here.
   */
  async #takeOver(endpoint: string): Promise<void> {
    const inFlight = this.#queues.inFlight(endpoint);
    if (!inFlight || inFlight.sentBy === this.#registrations.nodeId) return;
    const dueInMs = Date.parse(inFlight.sentAt) + maxTransmitWaitMs - this.#clock.now().getTime();
    if (dueInMs > 0) {
      if (this.#takeOvers.has(endpoint) || this.#closed) return;
      const timer = setTimeout(() => {
        this.#takeOvers.delete(endpoint);
        this.#deliverWaiting(endpoint);
      }, dueInMs);
      timer.unref();
      this.#takeOvers.set(endpoint, timer);
      return;
    }
    await this.#queues.run(endpoint, { type: 'RecordTimeout', operationId: inFlight.operationId, attempt: inFlight.attempts, now: this.#clock.now() }, 'system:operations');
  }
}
