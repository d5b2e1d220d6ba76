/**
 * The downlink sender: turns the operation a device's queue put in flight into a CoAP request to the
 * address the device registered from (LwM2M Core 1.1 sections 6.3 and 6.4), and records the answer on
 * the queue.
 * - Every Read and Observe carries an Accept option chosen from the device's version and announced
 *   formats, or the one the operator chose; on 4.06 or 4.15 the next format is tried in the same attempt
 *   (not after an operator's choice).
 * - A Cancel Observation repeats the Observe it ends, Accept and query included (RFC 7641 section 3.6),
 *   or by the operator's choice sends nothing and lets the next notification be answered with a Reset.
 * - A request that times out goes back to the queue and the device is taken as asleep until it next
 *   sends something.
 * - A request in flight to an address the device has left (it registered again, or an Update came from
 *   another source address: LwM2M Transport 1.1 section 5, the server addresses the client at the source
 *   of its last Register or Update) is abandoned at once and its operation goes back to the head of the
 *   queue, recorded with both addresses, to be delivered to the new one.
 * - When the node stops, the requests in flight are abandoned and nothing is recorded: each attempt
 *   stays in flight in the log, to be timed out and sent again when the node starts again, or by the
 *   node the device registers with next (several nodes may share the event store). The node stopping
 *   says nothing about the operation, which must not fail for it.
 * What a write refers to instead of holding it in the event (a package of the firmware repository, a
 * sealed text) is read or opened for each attempt, in memory only (ContentReferences.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import { nextFallback } from '../../domain/lwm2m/content/ContentFormat.ts';
import type { OperationReturnReason } from '../../domain/operations/OperationEvents.ts';
import type { QueuedOperation } from '../../domain/operations/OperationQueueDecider.ts';
import type { RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import type { CoapEndpoint, CoapPeer, IncomingCoapResponse } from '../../adapters/coap/CoapEndpoint.ts';
import { CoapResetError, CoapTimeoutError } from '../../adapters/coap/CoapEndpoint.ts';
import { OptionNumber, uintOption } from '../../adapters/coap/CoapMessage.ts';
import type { ObservationManager } from '../observations/ObservationManager.ts';
import { resolveContentReferences } from '../observations/ContentReferences.ts';
import type { ContentSources } from '../observations/ContentReferences.ts';
import type { ResourceValueRecorder } from '../observations/ResourceValueRecorder.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import type { DevicePresence } from './DevicePresence.ts';
import { buildCancelRequest, buildRequest, cancelsByReset, contentOperationOf, initialFormat, interpretResponse, observeQueryOf } from './OperationRequests.ts';
import type { DeviceProfile, ObservationRequest } from './OperationRequests.ts';
import type { OperationQueueResult, OperationQueues } from './OperationQueues.ts';

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

/** Why a request in flight was abandoned: this node is stopping. */
class NodeStopping extends Error {
  constructor() {
    super('the node is stopping');
    this.name = 'NodeStopping';
  }
}

export interface DownlinkSenderOptions {
  readonly queues: OperationQueues;
  readonly endpoint: CoapEndpoint;
  readonly registrations: RegistrationLookup;
  readonly observations: ObservationManager;
  readonly presence: DevicePresence;
  readonly recorder: ResourceValueRecorder;
  readonly catalog: ObjectModelCatalog;
  readonly clock: Clock;
  /** What writes may refer to (firmware packages, sealed texts); without a source, such writes fail. */
  readonly contentSources?: ContentSources;
}

export class DownlinkSender {
  readonly #queues: OperationQueues;
  readonly #endpoint: CoapEndpoint;
  readonly #registrations: RegistrationLookup;
  readonly #observations: ObservationManager;
  readonly #presence: DevicePresence;
  readonly #recorder: ResourceValueRecorder;
  readonly #catalog: ObjectModelCatalog;
  readonly #clock: Clock;
  readonly #contentSources: ContentSources;
  readonly #exchanges = new Map<string, InFlightExchange>();
  #stopped = false;

  constructor(options: DownlinkSenderOptions) {
    this.#queues = options.queues;
    this.#endpoint = options.endpoint;
    this.#registrations = options.registrations;
    this.#observations = options.observations;
    this.#presence = options.presence;
    this.#recorder = options.recorder;
    this.#catalog = options.catalog;
    this.#clock = options.clock;
    this.#contentSources = options.contentSources ?? {};
  }

  /** Abandons the request in flight to the device when its registration or address is no longer the one it went to. */
  abandonIfMoved(endpoint: string): void {
    const exchange = this.#exchanges.get(endpoint);
    const now = this.#registrations.registration(endpoint);
    if (!exchange || !now) return;
    const moved = now.address !== exchange.peer.address || now.port !== exchange.peer.port;
    // Another node holding the registration is a new registration for this one, which stops sending (several nodes may share the event store).
    const reason = now.registrationId !== exchange.registrationId || this.#registrations.heldRegistration(endpoint) === undefined ? 'new-registration' : moved ? 'address-changed' : undefined;
    if (reason !== undefined) exchange.abandon.abort(new DeviceMoved(reason, addressText(now)));
  }

  /** Abandons every request in flight, recording nothing, and sends no more: the node is stopping. */
  stop(): void {
    this.#stopped = true;
    for (const exchange of this.#exchanges.values()) exchange.abandon.abort(new NodeStopping());
  }

  /** Sends the operation in flight to the device at its registered address and records the answer. */
  async send(endpoint: string, registration: RegistrationRecord, queued: QueuedOperation): Promise<void> {
    if (this.#stopped) return;
    const exchange: InFlightExchange = { registrationId: registration.registrationId, peer: { address: registration.address, port: registration.port }, abandon: new AbortController() };
    this.#exchanges.set(endpoint, exchange);
    // The device may have moved between the choice of this operation and now.
    this.abandonIfMoved(endpoint);
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
        await this.#queues.run(endpoint, { type: 'RecordDoneWithoutRequest', operationId, content: null, now: this.#clock.now() }, 'system:operations');
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
        await this.#recordError(endpoint, queued, peer, error);
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
      await this.#queues.run(endpoint, { type: 'RecordResponse', operationId, responseCode: response.code, content: diagnostic(response), now: this.#clock.now() }, `device:${endpoint}`);
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
    if (observing && token !== undefined) {
      try {
        await this.#observations.established(endpoint, token, operation.paths, operation.kind === 'observe-composite', operationId, format, observeQueryOf(operation));
      } catch (error) {
        // Not recorded: no observation; the device's notifications of the token are refused from now on (RFC 7641 section 3.6).
        this.#observations.forget(token);
        throw error;
      }
    }
    if (operation.kind === 'cancel-observation' && token !== undefined) await this.#observations.cancel(endpoint, token, 'cancel-requested');
    // The values first: whoever hears of the success finds them stored.
    const recorded = this.#recorder.record({
      endpoint,
      source: observing ? 'notification' : 'read',
      values: interpreted.value.values,
      operationId,
      observationToken: token ?? null,
      registration,
    });
    // RFC 7641 sections 3.4 and 4.4: the answer is the observation's first notification; the
    // notifications held since the Observe left are recorded after its values, in the device's order.
    if (observing && token !== undefined) this.#observations.answered(token);
    await recorded;
    await this.#queues.run(endpoint, { type: 'RecordResponse', operationId, responseCode: response.code, content: interpreted.value.content, now: this.#clock.now() }, `device:${endpoint}`);
  }

  async #recordError(endpoint: string, queued: QueuedOperation, peer: CoapPeer, error: unknown): Promise<void> {
    // The attempt is named: when another node has taken the device over and repeated it meanwhile, this word on the old one is ignored.
    const { operationId, attempts: attempt } = queued;
    // Stopping, the endpoint's requests fail too ("endpoint closed"): none of it is the operation's doing.
    if (error instanceof NodeStopping || this.#stopped) return;
    if (error instanceof DeviceMoved) {
      await this.#queues.run(endpoint, { type: 'ReturnToQueue', operationId, attempt, reason: error.reason, from: addressText(peer), to: error.to, now: this.#clock.now() }, 'system:operations');
      return;
    }
    if (error instanceof CoapTimeoutError) {
      // The device went away (or to sleep): wait for its next message before trying again.
      this.#presence.wentQuiet(endpoint);
      await this.#queues.run(endpoint, { type: 'RecordTimeout', operationId, attempt, now: this.#clock.now() }, 'system:operations');
      return;
    }
    const reason = error instanceof CoapResetError ? 'the device rejected the request (CoAP RST)' : `the request could not be completed: ${error instanceof Error ? error.message : String(error)}`;
    await this.#fail(endpoint, operationId, reason);
  }

  #fail(endpoint: string, operationId: string, reason: string): Promise<OperationQueueResult> {
    return this.#queues.run(endpoint, { type: 'RecordFailure', operationId, reason, now: this.#clock.now() }, 'system:operations');
  }
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
