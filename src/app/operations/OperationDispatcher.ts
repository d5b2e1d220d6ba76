/**
 * The downlink sender: every operation of LwM2M Core 1.1 sections 6.3 and 6.4 is queued ("operations
 * are always queued") on the device's `operations-<endpoint>` stream through the operations queue
 * decider, and delivered from the socket the device registered to when it is reachable:
 * - in U binding, at once while it is registered;
 * - in queue mode (`Q`, or binding `UQ`; Core 1.1 section 6.5), for a while after each message from it
 *   (Register, Update, notification, Send); pending operations go out, in order, as it wakes up.
 * A request that times out puts the operation back at the head of the queue (up to the decider's
 * attempts) and the device is taken as asleep until it next sends something; then it is redelivered.
 * A request in flight to an address the device has left (it registered again, or an Update came from
 * another source address: LwM2M Transport 1.1 section 5, the server addresses the client at the source
 * of its last Register or Update) is abandoned at once and its operation goes back to the head of the
 * queue, recorded with both addresses, to be delivered to the new one.
 * Every Read and Observe carries an Accept option chosen from the device's version and announced
 * formats, or the one the operator chose; on 4.06 or 4.15 the next format is tried in the same attempt
 * (not after an operator's choice). A Cancel Observation repeats the Observe it ends, Accept and
 * query included (RFC 7641 section 3.6), or by the operator's choice sends nothing and lets the next
 * notification be answered with a Reset. What a write refers to instead of holding it in the event (a
 * package of the firmware repository, a sealed text) is read or opened for each attempt, in memory
 * only (ContentReferences.ts).
 *
 * Pending operations survive a restart: they are events. At start the queues are rebuilt from the log;
 * an operation that was in flight when the process stopped counts as timed out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import { nextFallback } from '../../domain/lwm2m/content/ContentFormat.ts';
import { defaultAwakeSeconds, isReachable } from '../../domain/operations/DeviceReachability.ts';
import type { OperationEvent, OperationReturnReason, OperationSpec } from '../../domain/operations/OperationEvents.ts';
import { operationStream, operationStreamPrefix } from '../../domain/operations/OperationEvents.ts';
import type { OperationCommand, OperationQueuePolicy, OperationQueueState, QueuedOperation } from '../../domain/operations/OperationQueueDecider.ts';
import { defaultOperationQueuePolicy, operationQueueDecider } from '../../domain/operations/OperationQueueDecider.ts';
import type { RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import type { CoapEndpoint, CoapPeer, IncomingCoapResponse } from '../../adapters/coap/CoapEndpoint.ts';
import { CoapResetError, CoapTimeoutError } from '../../adapters/coap/CoapEndpoint.ts';
import { OptionNumber, uintOption } from '../../adapters/coap/CoapMessage.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { AggregateCommandRunner, CommandResult } from '../kernel/AggregateCommandRunner.ts';
import { LiveView } from '../kernel/LiveView.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';
import { logOperationOutcomes } from '../devices/DeviceActivityLog.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { ObservationManager } from '../observations/ObservationManager.ts';
import type { DevicePresence } from './DevicePresence.ts';
import { buildCancelRequest, buildRequest, cancelsByReset, contentOperationOf, initialFormat, interpretResponse, observeQueryOf, validateOperation } from './OperationRequests.ts';
import type { DeviceProfile, ObservationRequest } from './OperationRequests.ts';
import { resolveContentReferences, withReferenceStandIns } from '../observations/ContentReferences.ts';
import type { ContentSources } from '../observations/ContentReferences.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import type { ResourceValueRecorder } from '../observations/ResourceValueRecorder.ts';

type OperationQueueDecider = ReturnType<typeof operationQueueDecider>;

/** The queues with work (operations waiting or in flight) by endpoint; an emptied queue is dropped. */
type QueuesWithWork = Map<string, OperationQueueState>;

/** The request in flight to a device: where it went, so that a move of the device abandons it. */
interface InFlightExchange {
  readonly registrationId: string;
  readonly peer: CoapPeer;
  readonly abandon: AbortController;
}

/** Why a request in flight was abandoned: the device is no longer at the address it was sent to. */
class DeviceMoved extends Error {
  readonly reason: OperationReturnReason;
  readonly to: string;

  constructor(reason: OperationReturnReason, to: string) {
    super(`the device is now at ${to}`);
    this.name = 'DeviceMoved';
    this.reason = reason;
    this.to = to;
  }
}

export interface OperationDispatcherOptions {
  readonly runner: AggregateCommandRunner;
  readonly feed: LogFeed;
  readonly endpoint: CoapEndpoint;
  readonly registrations: RegistrationLookup;
  readonly observations: ObservationManager;
  /** What is heard from the devices; the dispatcher delivers to a device when it is heard. */
  readonly presence: DevicePresence;
  readonly recorder: ResourceValueRecorder;
  readonly catalog: ObjectModelCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy?: OperationQueuePolicy;
  /** How long a device in queue mode listens after its last message (default 93 s, see DeviceReachability.ts). */
  readonly awakeSeconds?: number;
  readonly newOperationId?: () => string;
  /** What writes may refer to (firmware packages, sealed texts); without a source, such writes fail. */
  readonly contentSources?: ContentSources;
}

export class OperationDispatcher {
  readonly #runner: AggregateCommandRunner;
  readonly #endpoint: CoapEndpoint;
  readonly #registrations: RegistrationLookup;
  readonly #observations: ObservationManager;
  readonly #presence: DevicePresence;
  readonly #recorder: ResourceValueRecorder;
  readonly #catalog: ObjectModelCatalog;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #decider: OperationQueueDecider;
  readonly #awakeSeconds: number;
  readonly #newId: () => string;
  readonly #contentSources: ContentSources;
  readonly #queues: LiveView<QueuesWithWork>;
  readonly #exchanges = new Map<string, InFlightExchange>();
  readonly #delivering = new Set<string>();
  readonly #again = new Set<string>();
  #closed = false;

  private constructor(options: OperationDispatcherOptions, decider: OperationQueueDecider, queues: LiveView<QueuesWithWork>) {
    this.#runner = options.runner;
    this.#queues = queues;
    this.#endpoint = options.endpoint;
    this.#registrations = options.registrations;
    this.#observations = options.observations;
    this.#presence = options.presence;
    this.#presence.onHeard((endpoint) => this.#heard(endpoint));
    this.#recorder = options.recorder;
    this.#catalog = options.catalog;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#decider = decider;
    this.#awakeSeconds = options.awakeSeconds ?? defaultAwakeSeconds;
    this.#newId = options.newOperationId ?? randomUUID;
    this.#contentSources = options.contentSources ?? {};
  }

  /** Rebuilds every device's queue from the log, re-arms what was in flight, and delivers what it can. */
  static async start(options: OperationDispatcherOptions): Promise<OperationDispatcher> {
    const decider = operationQueueDecider(options.policy ?? defaultOperationQueuePolicy);
    const queues = await LiveView.open<QueuesWithWork>(options.feed, {
      name: 'operation queues',
      filter: { streamPrefixes: [operationStreamPrefix] },
      initialState: new Map(),
      evolve(queues, recorded) {
        const endpoint = recorded.stream.slice(operationStreamPrefix.length);
        const state = decider.evolve(queues.get(endpoint) ?? decider.initialState, toDomainEvent<OperationEvent>(recorded));
        if (hasWork(state)) queues.set(endpoint, state);
        else queues.delete(endpoint);
        return queues;
      },
    });
    const dispatcher = new OperationDispatcher(options, decider, queues);
    await dispatcher.#resume();
    return dispatcher;
  }

  /** Commands, not folds, so a step of its own once the queues are read: what was in flight when the process stopped. */
  async #resume(): Promise<void> {
    const withWork = [...this.#queues.state];
    for (const [endpoint, state] of withWork) {
      const inFlight = state.inFlight;
      // The process stopped while waiting for the answer: that attempt counts as unanswered.
      if (inFlight) await this.#run(endpoint, { type: 'RecordTimeout', operationId: inFlight.operationId, now: this.#clock.now() }, 'system:operations');
      this.deviceReachable(endpoint, false);
    }
    this.#logger.info({ devicesWithPendingOperations: withWork.length }, 'operation queues loaded');
  }

  /** Queues an operation; it is delivered at once when the device is reachable. Returns its id. */
  async requestOperation(endpoint: string, operation: OperationSpec, actor: string, correlationId: string): Promise<string> {
    const standIns = withReferenceStandIns(operation);
    const valid = standIns.ok ? validateOperation(standIns.value, this.#catalog) : standIns;
    if (!valid.ok) throw new DomainError('BAD_USER_INPUT', `${operation.kind} ${operation.paths.join(', ')}: ${valid.reason}`, { endpoint });
    const operationId = this.#newId();
    await this.#run(endpoint, { type: 'RequestOperation', operationId, endpoint, operation, requestedBy: actor, correlationId, now: this.#clock.now() }, actor, correlationId);
    this.#kick(endpoint);
    return operationId;
  }

  async cancelOperation(endpoint: string, operationId: string, actor: string, reason: string | null): Promise<void> {
    await this.#run(endpoint, { type: 'CancelOperation', operationId, cancelledBy: actor, reason, now: this.#clock.now() }, actor);
    this.#kick(endpoint);
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
    this.#abandonIfMoved(endpoint);
    this.#deliverWaiting(endpoint);
  }

  #deliverWaiting(endpoint: string): void {
    // Every queue with work is in the view (the dispatcher waits for its own appends to reach it): a
    // device without one has nothing to receive, and its notifications need no trip through the queue.
    if (!this.#queues.state.has(endpoint)) return;
    this.#kick(endpoint);
  }

  /** Operations waiting or in flight for the device. */
  queueLength(endpoint: string): number {
    const state = this.#queues.state.get(endpoint);
    return state ? state.pending.length + (state.inFlight ? 1 : 0) : 0;
  }

  close(): void {
    this.#closed = true;
  }

  #reachable(endpoint: string, registration: RegistrationRecord | undefined): boolean {
    if (!registration || this.#presence.isAsleep(endpoint)) return false;
    const queueMode = registration.queueMode || registration.binding.includes('Q');
    const seen = this.#presence.lastMessageAt(endpoint);
    const lastUpdate = new Date(registration.lastUpdateAt);
    const last = seen && seen > lastUpdate ? seen : lastUpdate;
    return isReachable({ registered: true, queueMode, lastMessageAt: last.toISOString() }, this.#clock.now(), this.#awakeSeconds);
  }

  /** Abandons the request in flight to the device when its registration or address is no longer the one it went to. */
  #abandonIfMoved(endpoint: string): void {
    const exchange = this.#exchanges.get(endpoint);
    const now = this.#registrations.registration(endpoint);
    if (!exchange || !now) return;
    const moved = now.address !== exchange.peer.address || now.port !== exchange.peer.port;
    const reason = now.registrationId !== exchange.registrationId ? 'new-registration' : moved ? 'address-changed' : undefined;
    if (reason !== undefined) exchange.abandon.abort(new DeviceMoved(reason, addressText(now)));
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
        const { events, state } = await this.#run(endpoint, { type: 'DeliverNext', reachable: this.#reachable(endpoint, registration), now: this.#clock.now() }, 'system:operations');
        const sent = events.find((event) => event.type === 'OperationSent');
        const inFlight = state.inFlight;
        if (!sent || !inFlight || !registration) {
          if (this.#again.has(endpoint)) continue;
          return;
        }
        await this.#perform(endpoint, registration, inFlight);
      }
    } finally {
      this.#delivering.delete(endpoint);
    }
  }

  async #perform(endpoint: string, registration: RegistrationRecord, queued: QueuedOperation): Promise<void> {
    const exchange: InFlightExchange = { registrationId: registration.registrationId, peer: { address: registration.address, port: registration.port }, abandon: new AbortController() };
    this.#exchanges.set(endpoint, exchange);
    // The device may have moved between the choice of this operation and now.
    this.#abandonIfMoved(endpoint);
    try {
      await this.#attempt(endpoint, registration, queued, exchange);
    } finally {
      this.#exchanges.delete(endpoint);
    }
  }

  async #attempt(endpoint: string, registration: RegistrationRecord, queued: QueuedOperation, exchange: InFlightExchange): Promise<void> {
    const { operationId } = queued;
    const resolved = await resolveContentReferences(queued.operation, this.#contentSources);
    if (!resolved.ok) {
      await this.#fail(endpoint, operationId, resolved.reason);
      return;
    }
    const operation = resolved.value;
    const device: DeviceProfile = { rootPath: registration.objectLinks.rootPath, lwm2mVersion: registration.lwm2mVersion, contentFormats: registration.objectLinks.contentFormats };
    const { peer } = exchange;
    const observing = operation.kind === 'observe' || operation.kind === 'observe-composite';
    let token: string | undefined;
    let cancelled: ObservationRequest | undefined;
    if (operation.kind === 'cancel-observation') {
      const observation = this.#observations.observationOf(endpoint, operation.paths);
      if (observation === undefined) {
        await this.#fail(endpoint, operationId, `there is no active observation of ${operation.paths.join(', ')}`);
        return;
      }
      if (cancelsByReset(operation)) {
        // RFC 7641 section 3.6, the passive cancel: nothing is sent; the observation is forgotten, and
        // the endpoint answers its next notification, of a token no longer known, with a Reset.
        await this.#observations.cancel(endpoint, observation.token, 'reset-requested');
        await this.#run(endpoint, { type: 'RecordDoneWithoutRequest', operationId, content: null, now: this.#clock.now() }, 'system:operations');
        return;
      }
      token = observation.token;
      cancelled = observation;
    } else if (observing) {
      token = randomBytes(8).toString('hex');
      this.#observations.expect(token, endpoint, operation.paths, operation.kind === 'observe-composite', operationId);
    }
    let format = initialFormat(operation, device);
    let response: IncomingCoapResponse;
    for (;;) {
      const built = cancelled ? buildCancelRequest(cancelled, device) : buildRequest(operation, device, format, this.#catalog);
      if (!built.ok) {
        if (observing && token !== undefined) this.#observations.forget(token);
        await this.#fail(endpoint, operationId, built.reason);
        return;
      }
      try {
        response = await this.#endpoint.request(peer, { ...built.value, ...(token === undefined ? {} : { token: Buffer.from(token, 'hex') }), signal: exchange.abandon.signal });
      } catch (error) {
        if (observing && token !== undefined) this.#observations.forget(token);
        await this.#recordError(endpoint, operationId, peer, error);
        return;
      }
      // Core 1.1 section 7.4 / RFC 7252 sections 5.10.4 and 5.9.2.7: the device refuses this format; try
      // the next, unless the operator chose it: the refusal of that format is then the answer.
      const contentOperation = contentOperationOf(operation);
      if ((response.code === '4.06' || response.code === '4.15') && format !== undefined && contentOperation !== undefined && operation.format === undefined) {
        const next = nextFallback(format, device.lwm2mVersion, device.contentFormats, contentOperation);
        if (next !== undefined) {
          format = next;
          continue;
        }
      }
      break;
    }
    this.#presence.answered(endpoint);
    if (!response.code.startsWith('2.')) {
      if (observing && token !== undefined) this.#observations.forget(token);
      await this.#run(endpoint, { type: 'RecordResponse', operationId, responseCode: response.code, content: diagnostic(response), now: this.#clock.now() }, `device:${endpoint}`);
      return;
    }
    const interpreted = interpretResponse(operation, response, format, this.#catalog, this.#clock.now());
    if (!interpreted.ok) {
      if (observing && token !== undefined) this.#observations.forget(token);
      await this.#fail(endpoint, operationId, `the device answered ${response.code} but ${interpreted.reason}`);
      return;
    }
    if (observing && token !== undefined && uintOption(response.options, OptionNumber.Observe) === undefined) {
      // RFC 7641 section 3.1: a success without an Observe option is a plain answer; nothing is observed.
      this.#observations.forget(token);
      await this.#recorder.record({ endpoint, source: 'read', values: interpreted.value.values, operationId, observationToken: null, registration });
      await this.#fail(endpoint, operationId, `the device answered ${response.code} without an Observe option: it did not accept the observation`);
      return;
    }
    if (observing && token !== undefined) await this.#observations.established(endpoint, token, operation.paths, operation.kind === 'observe-composite', operationId, format, observeQueryOf(operation));
    if (operation.kind === 'cancel-observation' && token !== undefined) await this.#observations.cancel(endpoint, token, 'cancel-requested');
    // The values first: whoever hears of the success finds them stored.
    await this.#recorder.record({
      endpoint,
      source: observing ? 'notification' : 'read',
      values: interpreted.value.values,
      operationId,
      observationToken: token ?? null,
      registration,
    });
    await this.#run(endpoint, { type: 'RecordResponse', operationId, responseCode: response.code, content: interpreted.value.content, now: this.#clock.now() }, `device:${endpoint}`);
  }

  async #recordError(endpoint: string, operationId: string, peer: CoapPeer, error: unknown): Promise<void> {
    if (error instanceof DeviceMoved) {
      await this.#run(endpoint, { type: 'ReturnToQueue', operationId, reason: error.reason, from: addressText(peer), to: error.to, now: this.#clock.now() }, 'system:operations');
      return;
    }
    if (error instanceof CoapTimeoutError) {
      // The device went away (or to sleep): wait for its next message before trying again.
      this.#presence.wentQuiet(endpoint);
      await this.#run(endpoint, { type: 'RecordTimeout', operationId, now: this.#clock.now() }, 'system:operations');
      return;
    }
    const reason = error instanceof CoapResetError ? 'the device rejected the request (CoAP RST)' : `the request could not be completed: ${error instanceof Error ? error.message : String(error)}`;
    await this.#fail(endpoint, operationId, reason);
  }

  #fail(endpoint: string, operationId: string, reason: string): Promise<CommandResult<OperationEvent, OperationQueueState>> {
    return this.#run(endpoint, { type: 'RecordFailure', operationId, reason, now: this.#clock.now() }, 'system:operations');
  }

  /**
   * Runs one command on the device's queue, in order with its other commands, and returns once the
   * view of queues has seen its events, so that the next reachability check finds the queue as it is.
   */
  async #run(endpoint: string, command: OperationCommand, actor: string, correlationId?: string): Promise<CommandResult<OperationEvent, OperationQueueState>> {
    const metadata = { actor, schemaVersion: 1, ...(correlationId === undefined ? {} : { correlationId }) };
    // What the finished operations were, for the log; the view holds every operation not finished.
    const before = this.#queues.state.get(endpoint) ?? this.#decider.initialState;
    const result = await this.#runner.run(operationStream(endpoint), this.#decider, command, { metadata });
    if (result.position !== undefined) await this.#queues.waitFor(result.position);
    logOperationOutcomes(this.#logger, endpoint, result.events, before);
    return result;
  }
}

function hasWork(state: OperationQueueState): boolean {
  return state.pending.length > 0 || state.inFlight !== null;
}

/** "192.0.2.1:5683", "[2001:db8::1]:5683". */
function addressText(peer: CoapPeer): string {
  return `${peer.address.includes(':') ? `[${peer.address}]` : peer.address}:${peer.port}`;
}

/** RFC 7252 section 5.5.2: an error response may explain itself in a diagnostic payload. */
function diagnostic(response: IncomingCoapResponse): JsonValue | null {
  if (response.payload.length === 0) return null;
  return { diagnostic: new TextDecoder('utf-8', { fatal: false }).decode(response.payload.subarray(0, 200)) };
}
