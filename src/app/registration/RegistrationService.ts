/**
 * The LwM2M registration interface served over CoAP endpoints (LwM2M Transport 1.1 section 6.4):
 * `POST /rd?ep=...` (Register), `POST /rd/{id}` (Update), `DELETE /rd/{id}` (De-register). It turns
 * requests into commands of the registration decider, run by the aggregate command runner on the
 * stream `registration-<endpoint>`, and replies from the outcome once the live view of the
 * registrations has seen it. The view (CurrentRegistrations) keeps the current registration of each
 * endpoint, which maps `/rd/{id}` to its endpoint, tells downlink senders where a device is, and
 * drives expiry.
 *
 * A command on an endpoint the view keeps is decided on the view's state and appended at its
 * revision without reading: a keep-alive Update then costs one append instead of re-reading a stream
 * that grows by one event per Update (a device updating every 5 minutes writes 100,000 events a
 * year). A write the view has not seen yet makes the append fail with WrongExpectedVersion, and the
 * runner decides the command again on the stream as it is.
 *
 * A known device's first Register is decided on the initial state and appended as the first event of
 * its registration stream without reading it, unless the view knows the stream exists; a wrong guess
 * only costs a refused append, after which the command runs on the stream as it is.
 *
 * Bounded audit: on top of the decider's one rejected event per endpoint per minute, rejections are
 * recorded one by one only within the per-window limit of RefusalAudit; beyond it they are still
 * answered (4.03/4.12) and counted into one event per window (who, from where, why), so that a flood
 * of made-up endpoint names cannot fill the event store and is still on record.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { logRegistrationEvents } from '../devices/DeviceActivityLog.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { Timer, Timers } from '../../adapters/runtime/Timers.ts';
import { systemTimers } from '../../adapters/runtime/Timers.ts';
import type { RegisteredObjects } from '../../domain/registration/ObjectLinks.ts';
import { parseRegisterParameters, parseUpdateParameters } from '../../domain/registration/RegistrationParameters.ts';
import {
  RegistrationRefused,
  defaultRegistrationPolicy,
  judgeRegister,
  registrationDecider,
} from '../../domain/registration/RegistrationDecider.ts';
import type { RegistrationCommand, RegistrationPolicy, Source } from '../../domain/registration/RegistrationDecider.ts';
import type { RegistrationChannel, RegistrationEvent, RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { channelSecurity, isHeldBy, registrationStream, registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import type { CoapPeer, CoapRequestHandler, CoapResponse, IncomingCoapRequest } from '../../adapters/coap/CoapEndpoint.ts';
import type { DeviceDirectory } from '../devices/DeviceDirectory.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { LiveView } from '../kernel/LiveView.ts';
import { LogFeed } from '../kernel/LogFeed.ts';
import { CurrentRegistrations } from './CurrentRegistrations.ts';
import { ParsedObjectLinks } from './ParsedObjectLinks.ts';
import { pooledRegistrationIds } from './RegistrationIds.ts';
import { RefusalAudit } from '../refusals/RefusalAudit.ts';
import type { RefusalTallyPolicy } from '../../domain/refusals/RefusalTally.ts';

/** RFC 7252 section 12.3: application/link-format. */
const linkFormat = 40;

export interface RegistrationServiceOptions {
  readonly store: EventStore;
  /** The process's command runner and log feed; the service makes its own when absent (tests, benchmarks). */
  readonly runner?: AggregateCommandRunner;
  readonly feed?: LogFeed;
  readonly directory: DeviceDirectory;
  /**
   * This node's id among the nodes sharing the event store, recorded in the registrations it takes;
   * absent for a node alone (tests, benchmarks): its registrations name no node.
   */
  readonly nodeId?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy?: RegistrationPolicy;
  /** How often due expiries are looked for; 0 disables the timer (tests call `expireDue`). */
  readonly expirySweepMs?: number;
  /** The timer that looks for due expiries (the system's when absent). */
  readonly timers?: Timers;
  /** The bounded audit of rejections (RefusalTally's defaults when absent). */
  readonly refusalPolicy?: Partial<RefusalTallyPolicy>;
  /** Random by default (96 bits, base64url): the id must not be guessable (Transport 1.1 section 6.4). */
  readonly newRegistrationId?: () => string;
}

/** How a DTLS session or TLS connection authenticated its peer (RegistrationService.dtlsHandler, tlsHandler). */
export type DtlsPeerAuthentication =
  | { readonly channel: 'psk'; readonly pskIdentity: string }
  | { readonly channel: 'certificate'; readonly certifiedEndpoint: string };

export class RegistrationService {
  readonly nodeId: string | undefined;
  readonly #directory: DeviceDirectory;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #policy: RegistrationPolicy;
  readonly #decider: ReturnType<typeof registrationDecider>;
  readonly #newId: () => string;
  readonly #runner: AggregateCommandRunner;
  readonly #view: LiveView<CurrentRegistrations>;
  readonly #feed: LogFeed;
  /** Whether the service made the feed itself, and closes it with itself. */
  readonly #ownsFeed: boolean;
  readonly #sweeper: Timer | undefined;
  readonly #refusals: RefusalAudit;
  readonly #parsedLinks = new ParsedObjectLinks();

  private constructor(options: RegistrationServiceOptions, decider: ReturnType<typeof registrationDecider>, view: LiveView<CurrentRegistrations>, feed: LogFeed) {
    this.#decider = decider;
    this.#view = view;
    this.#feed = feed;
    this.#ownsFeed = options.feed === undefined;
    this.#runner = options.runner ?? new AggregateCommandRunner({ store: options.store });
    this.#directory = options.directory;
    this.nodeId = options.nodeId;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#policy = options.policy ?? defaultRegistrationPolicy;
    this.#newId = options.newRegistrationId ?? pooledRegistrationIds();
    this.#refusals = new RefusalAudit({
      store: options.store,
      clock: this.#clock,
      logger: this.#logger,
      interface: 'registration',
      ...(options.refusalPolicy === undefined ? {} : { policy: options.refusalPolicy }),
    });
    const sweepMs = options.expirySweepMs ?? 1_000;
    if (sweepMs > 0) {
      this.#sweeper = (options.timers ?? systemTimers).every(sweepMs, () => {
        this.expireDue().catch((error: unknown) => this.#logger.error({ err: error }, 'registration expiry failed'));
      });
    }
  }

  /** Resolves once the live view of the registrations has caught up with the log: only then may it serve. */
  static async start(options: RegistrationServiceOptions): Promise<RegistrationService> {
    const decider = registrationDecider(options.policy ?? defaultRegistrationPolicy);
    const feed = options.feed ?? new LogFeed({ store: options.store });
    const view = await LiveView.open(feed, {
      name: 'registrations',
      filter: { streamPrefixes: [registrationStreamPrefix] },
      initialState: new CurrentRegistrations(decider, options.policy),
      evolve: (current, recorded) => current.apply(recorded),
    });
    options.logger.info({ registrations: view.state.count }, 'registrations loaded');
    return new RegistrationService(options, decider, view, feed);
  }

  /**
   * The request handler for one endpoint; `channel` says which port it is (plain, DTLS, TCP or TLS), and
   * `identityOf` tells the PSK identity of the DTLS session or TLS connection a peer's request came in
   * (null: none, so that every registration of a PSK device is refused).
   */
  handler(channel: RegistrationChannel, identityOf: (peer: CoapPeer) => string | null = () => null): CoapRequestHandler {
    return (request) => this.#route(request, { channel, pskIdentity: channelSecurity(channel) === 'psk' ? identityOf(request.peer) : null });
  }

  /**
   * The request handler of a DTLS port where each session authenticated its own way: with a PSK (the
   * 'psk' channel and its identity) or with a certificate or raw public key (the 'certificate' channel
   * and the endpoint it is bound to). A peer without a session is on the 'psk' channel without an
   * identity, so that every registration of a secured device is refused.
   */
  dtlsHandler(authenticationOf: (peer: CoapPeer) => DtlsPeerAuthentication | null): CoapRequestHandler {
    return this.#authenticatedHandler(authenticationOf, { psk: 'psk', certificate: 'certificate' });
  }

  /**
   * The request handler of a TLS port (CoAP over TLS, RFC 8323), as `dtlsHandler`: the 'tls' channel
   * with a PSK identity, or 'tls-certificate' with the endpoint a certificate is bound to.
   */
  tlsHandler(authenticationOf: (peer: CoapPeer) => DtlsPeerAuthentication | null): CoapRequestHandler {
    return this.#authenticatedHandler(authenticationOf, { psk: 'tls', certificate: 'tls-certificate' });
  }

  #authenticatedHandler(
    authenticationOf: (peer: CoapPeer) => DtlsPeerAuthentication | null,
    channels: { readonly psk: RegistrationChannel; readonly certificate: RegistrationChannel },
  ): CoapRequestHandler {
    return (request) => {
      const authentication = authenticationOf(request.peer);
      if (authentication?.channel === 'certificate') return this.#route(request, { channel: channels.certificate, pskIdentity: null, certifiedEndpoint: authentication.certifiedEndpoint });
      return this.#route(request, { channel: channels.psk, pskIdentity: authentication?.pskIdentity ?? null });
    };
  }

  /** Where the device is registered now, for downlink requests; undefined when it is not registered. */
  registration(endpoint: string): RegistrationRecord | undefined {
    return this.#view.state.registration(endpoint);
  }

  /** The device's registration when this node holds it: only then does this node send the device requests. */
  heldRegistration(endpoint: string): RegistrationRecord | undefined {
    const registration = this.#view.state.registration(endpoint);
    return registration !== undefined && isHeldBy(registration, this.nodeId) ? registration : undefined;
  }

  /** The registration made from this source address and port, for requests that name no endpoint (Send, `POST /dp`). */
  registrationAt(peer: { readonly address: string; readonly port: number }): RegistrationRecord | undefined {
    return this.#view.state.registrationAt(peer);
  }

  /** Every current registration, for work that concerns each registered device (e.g. at start). */
  registrations(): RegistrationRecord[] {
    return [...this.#view.state.registrations()];
  }

  get registrationCount(): number {
    return this.#view.state.count;
  }

  /**
   * Expires every registration past its deadline, looking only at the deadlines that are due; returns
   * how many expired. Every node does it: the stream's expected revision lets one Expire append.
   */
  async expireDue(): Promise<number> {
    const now = this.#clock.now();
    let expired = 0;
    for (const record of this.#view.state.takeExpired(now).expired) {
      const events = await this.#run(record.endpoint, { type: 'Expire', registrationId: record.registrationId, now }, 'system:registration-expiry');
      if (events.length > 0) expired++;
    }
    if (expired > 0) this.#logger.info({ expired }, 'registrations expired');
    return expired;
  }

  /** Stops the expiry timer and records the rejections counted so far. */
  async close(): Promise<void> {
    this.#sweeper?.cancel();
    await this.#refusals.close();
    this.#feed.leave(this.#view);
    if (this.#ownsFeed) await this.#feed.close();
  }

  async #route(request: IncomingCoapRequest, authentication: Omit<Source, 'address' | 'port'>): Promise<CoapResponse> {
    const [first, id, ...rest] = request.path;
    if (first !== 'rd' || rest.length > 0) return { code: '4.04' };
    const source: Source = { address: request.peer.address, port: request.peer.port, ...authentication };
    if (id === undefined) {
      if (request.method !== 'POST') return { code: '4.05' };
      return this.#register(request, source);
    }
    if (request.method === 'POST') return this.#update(request, id, source);
    if (request.method === 'DELETE') return this.#deregister(id, source);
    return { code: '4.05' };
  }

  async #register(request: IncomingCoapRequest, source: Source): Promise<CoapResponse> {
    const parameters = parseRegisterParameters(request.query);
    if (!parameters.ok) return badRequest(parameters.reason);
    const links = this.#objectLinks(request);
    if ('code' in links) return links;
    const { endpoint, lwm2mVersion } = parameters.parameters;
    const device = await this.#directory.lookup(endpoint);
    const verdict = judgeRegister(device, source, endpoint, lwm2mVersion, this.#policy);
    if (!verdict.accepted && !this.#refusals.admit({ endpoint, address: source.address, reason: verdict.reason })) return { code: verdict.responseCode };
    const command: RegistrationCommand = {
      type: 'Register',
      registrationId: this.#newId(),
      source,
      parameters: parameters.parameters,
      objectLinks: links.objects,
      device,
      ...(this.nodeId === undefined ? {} : { nodeId: this.nodeId }),
      now: this.#clock.now(),
    };
    const events = await this.#run(endpoint, command, `device:${endpoint}`);
    if (!verdict.accepted) {
      // The decider records one rejection per endpoint a minute: the repeats are counted instead.
      if (events.length === 0) this.#refusals.count({ endpoint, address: source.address, reason: verdict.reason });
      this.#logger.info({ endpoint, reason: verdict.reason, address: source.address }, 'registration rejected');
      return { code: verdict.responseCode };
    }
    this.#parsedLinks.keep(links.text, links.objects);
    return { code: '2.01', locationPath: ['rd', command.registrationId] };
  }

  /** Not an async function: a keep-alive Update's reply is the refusable command's promise, with no layer around it. */
  #update(request: IncomingCoapRequest, id: string, source: Source): Promise<CoapResponse> {
    const endpoint = this.#view.state.endpointOf(id);
    if (endpoint === undefined) return Promise.resolve({ code: '4.04' });
    const parameters = parseUpdateParameters(request.query);
    if (!parameters.ok) return Promise.resolve(badRequest(parameters.reason));
    let objectLinks: RegisteredObjects | null = null;
    if (request.payload.length > 0) {
      const links = this.#objectLinks(request);
      if ('code' in links) return Promise.resolve(links);
      objectLinks = links.objects;
    }
    return this.#refusable(
      this.#run(endpoint, { type: 'Update', registrationId: id, source, parameters: parameters.parameters, objectLinks, ...(this.nodeId === undefined ? {} : { nodeId: this.nodeId }), now: this.#clock.now() }, `device:${endpoint}`),
      '2.04',
    );
  }

  #deregister(id: string, source: Source): Promise<CoapResponse> {
    const endpoint = this.#view.state.endpointOf(id);
    if (endpoint === undefined) return Promise.resolve({ code: '4.04' });
    return this.#refusable(this.#run(endpoint, { type: 'Deregister', registrationId: id, source, now: this.#clock.now() }, `device:${endpoint}`), '2.02');
  }

  /** The reply to a command (`#run`'s promise, which never throws before it is returned): `success`, or the refusal's code. */
  #refusable(command: Promise<unknown>, success: string): Promise<CoapResponse> {
    return command.then(
      (): CoapResponse => ({ code: success }),
      (error: unknown): CoapResponse => {
        if (error instanceof RegistrationRefused) return { code: error.responseCode, payload: new TextEncoder().encode(error.message) };
        throw error;
      },
    );
  }

  #objectLinks(request: IncomingCoapRequest): { objects: RegisteredObjects; text: string } | CoapResponse {
    if (request.contentFormat !== undefined && request.contentFormat !== linkFormat) {
      return { code: '4.15', payload: new TextEncoder().encode('object links must be application/link-format (40)') };
    }
    const text = new TextDecoder().decode(request.payload);
    const parsed = this.#parsedLinks.parse(text);
    if (!parsed.ok) return badRequest(`object links: ${parsed.reason} at ${parsed.offset}`);
    return { objects: parsed.objects, text };
  }

  /**
   * Runs one command on the endpoint's stream (the runner keeps the endpoint's commands in order), and
   * waits until the view has seen what it appended, so that the reply's `/rd/{id}` is found.
   */
  async #run(endpoint: string, command: RegistrationCommand, actor: string): Promise<readonly RegistrationEvent[]> {
    const current = this.#view.state;
    const firstRegister = command.type === 'Register' && command.device !== undefined && !current.hasStream(endpoint);
    // The runner keeps no copy of a state given to it: the view is the one copy of each registration.
    const knownState = current.known(endpoint) ?? (firstRegister ? { state: this.#decider.initialState, revision: -1 } : undefined);
    const metadata = { actor, schemaVersion: 1 };
    const outcome = await this.#runner.run(registrationStream(endpoint), this.#decider, command, knownState === undefined ? { metadata } : { metadata, knownState });
    if (outcome.position !== undefined) await this.#view.waitFor(outcome.position);
    logRegistrationEvents(this.#logger, outcome.events);
    return outcome.events;
  }
}

function badRequest(reason: string): CoapResponse {
  // RFC 7252 section 5.5.2: a diagnostic payload in plain text explains an error response.
  return { code: '4.00', payload: new TextEncoder().encode(reason) };
}
