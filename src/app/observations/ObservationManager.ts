/**
 * The server's side of Observe (LwM2M Core 1.1 section 6.4; RFC 7641): it records observations as
 * events on `observations-<endpoint>` through the observation decider, knows every active token (rebuilt
 * from the log at start), turns each notification into recorded values, and answers RST to a
 * notification of a token it does not know (RFC 7641 section 3.6), which also tells the device to stop.
 *
 * A token is known from the moment its Observe request is sent ("pending"), so that a notification
 * overtaking the Observe response is not refused.
 *
 * The answer to the Observe is the observation's first notification (RFC 7641 sections 3.2 and 3.4),
 * so its values are recorded before any notification of the token: the notifications that arrive from
 * the moment the Observe leaves until its answer's values are handed to the recorder are held, in
 * arrival order, and taken after them (`answered`), or refused if the Observe failed (`forget`). At
 * most `heldNotificationsLimit` are held per observation; beyond, a notification is refused unanswered,
 * as one that could not be stored: a confirmable one is sent again by the device (RFC 7252 section
 * 4.2), by then taken in turn; a non-confirmable one is lost, as RFC 7641 section 4.5 lets it be.
 *
 * A notification larger than a block arrives as its first block (Block2 NUM 0, M=1): RFC 7959 section
 * 2.6 has the server fetch the rest of the resource with requests carrying Block2 NUM 1 onwards and no
 * Observe option, and the values are decoded from the assembled representation.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { CompositePath, LwM2mPath } from '../../domain/lwm2m/LwM2mPath.ts';
import { formatCompositePath, formatPath, parseCompositePath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import type { PathValue } from '../../domain/lwm2m/LwM2mValue.ts';
import { decodeContent, decodeContentFromEntries, decodeEntries, encodePaths, nodeToEntries } from '../../domain/lwm2m/content/ContentCodecs.ts';
import type { ObservationCommand } from '../../domain/observations/ObservationDecider.ts';
import { observationDecider } from '../../domain/observations/ObservationDecider.ts';
import type { ObservationCancelReason, ObservationEstablished, ObservationEvent } from '../../domain/observations/ObservationEvents.ts';
import { observationStream, observationStreamPrefix } from '../../domain/observations/ObservationEvents.ts';
import type { BlockOption } from '../../adapters/coap/BlockOption.ts';
import { decodeBlockOption } from '../../adapters/coap/BlockOption.ts';
import { OptionNumber, firstOptionValue } from '../../adapters/coap/CoapMessage.ts';
import type { CoapEndpoint, CoapPeer, OutgoingCoapRequest, UnsolicitedCoapResponse } from '../../adapters/coap/CoapEndpoint.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { LiveView } from '../kernel/LiveView.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { DevicePresence } from '../operations/DevicePresence.ts';
import type { ObservationRequest } from '../operations/OperationRequests.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import type { ResourceValueRecorder } from './ResourceValueRecorder.ts';

interface KnownObservation {
  readonly endpoint: string;
  /** The root "/" only in an Observe-Composite. */
  readonly paths: readonly CompositePath[];
  readonly composite: boolean;
  readonly operationId: string;
  /** The Accept and Uri-Query of the Observe, once established; a Cancel Observation repeats them. */
  readonly format?: number;
  readonly query: readonly string[];
}

/** The established observations of every device, by token (hex). */
type ActiveObservations = Map<string, KnownObservation>;

/**
 * How many notifications are held per observation while its Observe's answer is being recorded: each
 * is one message (a UDP datagram, 64 KiB at most), and at most one observation per device is being
 * established (one request in flight per device), for no longer than the Observe exchange and its append.
 */
export const heldNotificationsLimit = 16;

/** A notification that arrived before its Observe's answer was recorded, and the settling of the endpoint's promise of it. */
interface HeldNotification {
  readonly response: UnsolicitedCoapResponse;
  readonly taken: () => void;
  readonly refused: (error: Error) => void;
}

interface HeldNotifications {
  readonly notifications: HeldNotification[];
  /** Whether one was refused for the limit: logged once per observation. */
  limitReached: boolean;
}

export interface ObservationManagerOptions {
  readonly runner: AggregateCommandRunner;
  readonly feed: LogFeed;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly catalog: ObjectModelCatalog;
  readonly registrations: RegistrationLookup;
  readonly recorder: ResourceValueRecorder;
  /** Where the rest of a block-wise notification is fetched from: the endpoint the device registered to. */
  readonly coap: Pick<CoapEndpoint, 'request'>;
  /** Told of every notification: the device is awake (queue mode, Core 1.1 section 6.5). */
  readonly presence: DevicePresence;
}

export class ObservationManager {
  readonly #runner: AggregateCommandRunner;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #catalog: ObjectModelCatalog;
  readonly #registrations: RegistrationLookup;
  readonly #recorder: ResourceValueRecorder;
  readonly #coap: Pick<CoapEndpoint, 'request'>;
  readonly #active: LiveView<ActiveObservations>;
  /** Observations whose Observe request is out and not yet recorded as established, by token (hex). */
  readonly #pending = new Map<string, KnownObservation>();
  /** Tokens whose end is being recorded: refused from the moment it is decided, as the view drops them only once recorded. */
  readonly #ending = new Set<string>();
  /** Notifications of the observations whose Observe's answer is not recorded yet, by token (hex). */
  readonly #held = new Map<string, HeldNotifications>();
  readonly #presence: DevicePresence;

  private constructor(options: ObservationManagerOptions, active: LiveView<ActiveObservations>) {
    this.#runner = options.runner;
    this.#active = active;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#catalog = options.catalog;
    this.#registrations = options.registrations;
    this.#recorder = options.recorder;
    this.#coap = options.coap;
    this.#presence = options.presence;
  }

  static async start(options: ObservationManagerOptions): Promise<ObservationManager> {
    const active = await LiveView.open<ActiveObservations>(options.feed, {
      name: 'observations',
      filter: { streamPrefixes: [observationStreamPrefix] },
      initialState: new Map(),
      evolve(active, recorded) {
        const event = toDomainEvent<ObservationEvent>(recorded);
        if (event.type === 'ObservationEstablished') active.set(event.data.token, knownObservation(event.data));
        else active.delete(event.data.token);
        return active;
      },
    });
    return new ObservationManager(options, active);
  }

  get activeCount(): number {
    let count = this.#active.state.size;
    for (const token of this.#pending.keys()) if (!this.#active.state.has(token)) count++;
    return count;
  }

  /** The established or pending observation of the token, unless it is ending. */
  #known(token: string): KnownObservation | undefined {
    if (this.#ending.has(token)) return undefined;
    return this.#pending.get(token) ?? this.#active.state.get(token);
  }

  /** Before the Observe request leaves: its notifications are expected from now on. */
  expect(token: string, endpoint: string, paths: readonly string[], composite: boolean, operationId: string): void {
    this.#pending.set(token, { endpoint, paths: paths.map((path) => parseCompositePath(path)), composite, operationId, query: [] });
    this.#held.set(token, { notifications: [], limitReached: false });
  }

  /** The Observe request failed: its token is no longer expected, and the notifications held for it are refused. */
  forget(token: string): void {
    this.#pending.delete(token);
    this.#release(token);
  }

  /**
   * The values of the Observe's answer are handed to the recorder, which keeps a device's order: the
   * notifications held since the Observe left are taken now, in arrival order, after them.
   */
  answered(token: string): void {
    this.#release(token);
  }

  #release(token: string): void {
    const held = this.#held.get(token);
    if (!held) return;
    this.#held.delete(token);
    for (const { response, taken, refused } of held.notifications) {
      // Taken as it would have been on arrival, unless the observation ended meanwhile.
      const known = this.#known(token);
      const outcome = known ? this.#take(token, known, response) : false;
      if (outcome === true) taken();
      else if (outcome === false) refused(new Error('the observation ended before its Observe was answered'));
      else outcome.then(taken, refused);
    }
  }

  /** The device accepted the Observe, sent with `format` (Accept) and `query`, which its cancel will repeat. */
  async established(endpoint: string, token: string, paths: readonly string[], composite: boolean, operationId: string, format: number | undefined, query: readonly string[]): Promise<void> {
    const registrationId = this.#registrations.registration(endpoint)?.registrationId ?? '';
    const known = this.#pending.get(token);
    if (known) this.#pending.set(token, { ...known, ...(format === undefined ? {} : { format }), query });
    const request = { ...(format === undefined ? {} : { format }), ...(query.length === 0 ? {} : { query }) };
    await this.#run(endpoint, { type: 'EstablishObservation', observation: { endpoint, token, paths, composite, registrationId, operationId, ...request }, now: this.#clock.now() });
    // Recorded, and so in the view of active observations.
    this.#pending.delete(token);
  }

  /** The token of the active observation of exactly these paths. */
  tokenOf(endpoint: string, paths: readonly string[]): string | undefined {
    return this.observationOf(endpoint, paths)?.token;
  }

  /**
   * The active observation of exactly these paths (an Observe-Composite: the same set, in any order),
   * for Cancel Observation: its token and what its Observe request carried.
   */
  observationOf(endpoint: string, paths: readonly string[]): (ObservationRequest & { readonly token: string }) | undefined {
    const wanted = new Set(paths.map((path) => formatCompositePath(parseCompositePath(path))));
    for (const [token, known] of this.#observations()) {
      if (known.endpoint !== endpoint || known.paths.length !== wanted.size) continue;
      if (known.paths.every((path) => wanted.has(formatCompositePath(path)))) {
        return { token, paths: known.paths.map(formatCompositePath), composite: known.composite, format: known.format, query: known.query };
      }
    }
    return undefined;
  }

  async cancel(endpoint: string, token: string, reason: ObservationCancelReason): Promise<void> {
    this.#pending.delete(token);
    this.#ending.add(token);
    try {
      await this.#run(endpoint, { type: 'CancelObservation', endpoint, token, reason, now: this.#clock.now() });
    } finally {
      this.#ending.delete(token);
    }
  }

  /** Every observation known, established then pending, the ending ones left out. */
  *#observations(): Generator<[string, KnownObservation]> {
    for (const [token, known] of this.#active.state) if (!this.#pending.has(token) && !this.#ending.has(token)) yield [token, known];
    for (const [token, known] of this.#pending) if (!this.#ending.has(token)) yield [token, known];
  }

  /** A new registration (or none: de-registered, expired) ends the observations of the registrations before it. */
  async registrationChanged(endpoint: string, currentRegistrationId: string | null): Promise<void> {
    const events = await this.#run(endpoint, { type: 'EndObservationsOfOtherRegistrations', endpoint, currentRegistrationId, now: this.#clock.now() });
    for (const event of events) this.#pending.delete(event.data.token);
  }

  /**
   * The endpoint's unsolicited-response handler: false when the token is no observation of ours;
   * else a promise that resolves once the notification's values are durable in the log (or it
   * carried none to store) and rejects when they could not be stored: a confirmable notification is
   * acknowledged only then (RFC 7641 section 4.5 lets the server acknowledge when it has handled the
   * notification; ACK_TIMEOUT, 2 s or more, leaves the store's commit ample time), so an acknowledged
   * value is never lost, and one that failed to be stored is sent again by the device. The first
   * block of a block-wise notification is acknowledged at once (true): its values are fetched with
   * requests of ours, which retry by themselves. A notification held until its Observe's answer is
   * recorded (above) is acknowledged once taken and stored.
   */
  readonly onUnsolicited = (response: UnsolicitedCoapResponse): boolean | Promise<void> => {
    const token = Buffer.from(response.token).toString('hex');
    const known = this.#known(token);
    if (!known) return false;
    // Only the node holding the registration takes its notifications (several nodes may share the event
    // store): elsewhere they are answered RST, and the device registers again where its datagrams go.
    const registration = this.#registrations.heldRegistration(known.endpoint);
    if (!registration || !samePeer(registration, response.peer)) return false;
    this.#presence.heard(known.endpoint);
    const held = this.#held.get(token);
    return held ? this.#hold(held, known.endpoint, response) : this.#take(token, known, response);
  };

  /** Holds a notification until its Observe's answer is recorded; a promise, so that a confirmable one is acknowledged only once taken and stored. */
  #hold(held: HeldNotifications, endpoint: string, response: UnsolicitedCoapResponse): Promise<void> {
    if (held.notifications.length >= heldNotificationsLimit) {
      if (!held.limitReached) this.#logger.warn({ endpoint, limit: heldNotificationsLimit }, 'notifications beyond the limit held before the Observe was answered are refused');
      held.limitReached = true;
      return Promise.reject(new Error('too many notifications before the Observe was answered'));
    }
    return new Promise<void>((taken, refused) => held.notifications.push({ response, taken, refused }));
  }

  /** Takes a notification: true, acknowledged at once; a promise of its values' storing. */
  #take(token: string, known: KnownObservation, response: UnsolicitedCoapResponse): true | Promise<void> {
    const block = block2Of(response);
    const logFailure = (error: unknown): void => this.#logger.error({ err: error, endpoint: known.endpoint }, 'notification handling failed');
    if (block?.more === true) {
      this.#notifiedInBlocks(token, known, response, block).catch(logFailure);
      return true;
    }
    let stored!: () => void;
    const durable = new Promise<void>((resolve) => (stored = resolve));
    const handling = this.#notified(token, known, response, stored);
    handling.catch(logFailure);
    // Whichever comes first: the values durable, or the handling done without values to store (or failed).
    return Promise.race([durable, handling]);
  }

  /** RFC 7959 section 2.6: the first block of a notification; the rest is fetched from the resource, Block2 NUM 1 onwards. */
  async #notifiedInBlocks(token: string, known: KnownObservation, first: UnsolicitedCoapResponse, block: BlockOption): Promise<void> {
    const registration = this.#registrations.registration(known.endpoint);
    if (!registration) return;
    if (block.num !== 0 || first.payload.length !== block.size) {
      this.#logger.warn({ endpoint: known.endpoint, num: block.num, bytes: first.payload.length }, 'block-wise notification that does not start with a full block 0');
      return;
    }
    const resource = resourceOf(known, registration.objectLinks.rootPath, first.contentFormat);
    if (!resource.ok) {
      this.#logger.warn({ endpoint: known.endpoint, reason: resource.reason }, 'block-wise notification not fetchable');
      return;
    }
    const rest = await this.#coap.request(first.peer, { ...resource.value, block2: { num: 1, size: block.size } });
    if (!rest.code.startsWith('2.')) {
      this.#logger.warn({ endpoint: known.endpoint, code: rest.code }, 'the rest of a block-wise notification was refused');
      return;
    }
    await this.#notified(token, known, { ...first, payload: Buffer.concat([first.payload, rest.payload]) });
  }

  /** `onStored` is called once the values are durable, before their telemetry mapping. */
  async #notified(token: string, known: KnownObservation, response: UnsolicitedCoapResponse, onStored?: () => void): Promise<void> {
    if (!response.code.startsWith('2.')) {
      // RFC 7641 section 3.2: a notification with an error code ends the observation.
      await this.cancel(known.endpoint, token, 'error-notification');
      return;
    }
    const values = this.#decode(known, response);
    if (!values.ok) {
      this.#logger.warn({ endpoint: known.endpoint, reason: values.reason }, 'notification not decodable');
      return;
    }
    await this.#recorder.record(
      {
        endpoint: known.endpoint,
        source: 'notification',
        values: values.values,
        operationId: known.operationId,
        observationToken: token,
        registration: this.#registrations.registration(known.endpoint),
      },
      { onStored },
    );
  }

  #decode(known: KnownObservation, response: UnsolicitedCoapResponse): { ok: true; values: PathValue[] } | { ok: false; reason: string } {
    const format = response.contentFormat;
    if (format === undefined) return { ok: false, reason: 'no content format' };
    const now = this.#clock.now().getTime() / 1000;
    if (known.composite) {
      const entries = decodeEntries(format, response.payload, this.#catalog, { now });
      return entries.ok ? { ok: true, values: entries.value } : { ok: false, reason: entries.error.message };
    }
    const path = singlePath(known);
    if (!path) return { ok: false, reason: 'observation without a path' };
    // A notification may carry several timestamped values of the observed resource (Core 1.1 section 6.4.2).
    const entries = decodeEntries(format, response.payload, this.#catalog, { now });
    if (entries.ok && entries.value.some((entry) => entry.time !== undefined)) return { ok: true, values: entries.value };
    const node = (entries.ok ? decodeContentFromEntries(format, entries.value, path, this.#catalog) : undefined) ?? decodeContent(format, response.payload, path, this.#catalog, { now });
    return node.ok ? { ok: true, values: nodeToEntries(node.value, path) } : { ok: false, reason: node.error.message };
  }

  /** Runs one command on the device's observations and returns once the view of active observations has seen its events. */
  async #run(endpoint: string, command: ObservationCommand): Promise<readonly ObservationEvent[]> {
    const result = await this.#runner.run(observationStream(endpoint), observationDecider, command, {
      metadata: { actor: `system:observations`, schemaVersion: 1 },
    });
    if (result.position !== undefined) await this.#active.waitFor(result.position);
    return result.events;
  }
}

function knownObservation(observation: ObservationEstablished): KnownObservation {
  return {
    endpoint: observation.endpoint,
    paths: observation.paths.map((path) => parseCompositePath(path)),
    composite: observation.composite,
    operationId: observation.operationId,
    ...(observation.format === undefined ? {} : { format: observation.format }),
    query: observation.query ?? [],
  };
}

function block2Of(response: UnsolicitedCoapResponse): BlockOption | undefined {
  const raw = firstOptionValue(response.options, OptionNumber.Block2);
  if (raw === undefined) return undefined;
  const decoded = decodeBlockOption(raw);
  return decoded.ok ? decoded.block : undefined;
}

/**
 * The request that reads the observed resource again without Observe: GET of the path, or for an
 * Observe-Composite (LwM2M Core 1.1 section 6.4) the FETCH (RFC 8132) of the root with its SenML path
 * list, asking for the notification's content format.
 */
function resourceOf(known: KnownObservation, rootPath: string, format: number | undefined): { ok: true; value: OutgoingCoapRequest } | { ok: false; reason: string } {
  const root = rootPath.split('/').filter((segment) => segment !== '');
  const accept = format === undefined ? {} : { accept: format };
  if (!known.composite) {
    const path = singlePath(known);
    if (!path) return { ok: false, reason: 'observation without a path' };
    return { ok: true, value: { method: 'GET', path: [...root, ...formatPath(path).split('/').filter((segment) => segment !== '')], ...accept } };
  }
  if (format === undefined) return { ok: false, reason: 'a composite notification without a content format' };
  const body = encodePaths(format, known.paths);
  if (!body.ok) return { ok: false, reason: body.error.message };
  return { ok: true, value: { method: 'FETCH', path: root, contentFormat: format, accept: format, payload: body.value } };
}

/** The path of an Observe of one path (never the root). */
function singlePath(known: KnownObservation): LwM2mPath | undefined {
  const path = known.paths[0];
  return path === undefined || 'root' in path ? undefined : path;
}

function samePeer(registration: { readonly address: string; readonly port: number }, peer: CoapPeer): boolean {
  return registration.address === peer.address && registration.port === peer.port;
}


