/**
 * The LwM2M bootstrap server over CoAP endpoints (LwM2M Core 1.1 section 6.1, the Bootstrap
 * Interface, and its CoAP mapping in Transport 1.1 section 6): it answers the client's
 * Bootstrap-Request `POST /bs?ep={name}[&pct={format}]` with 2.04, then runs the device's plan
 * (BootstrapPlan.ts) as requests to the client from the same endpoint, each recorded through the
 * session decider on `bootstrap-<endpoint>`. The answer to the first Bootstrap-Discover tells which
 * Security instances the device keeps (BootstrapDiscovery.ts): the plan is built again with them
 * before any write, and recorded revised.
 *
 * Transport-agnostic: it knows only the CoapEndpoint port. `serve` registers `/bs` and `/bspack` on a
 * port's uplink routes; a DTLS or TLS port passes `pskIdentityOf`, and the device is then found by the
 * PSK identity of the handshake.
 *
 * - `GET /bspack?ep=...` (Bootstrap-Pack-Request, Core 1.2 section 6.1.7, Transport 1.2): the device is
 *   found as for the Bootstrap-Request and answered 2.05 with its whole configuration, the writes of
 *   its plan, in one SenML CBOR pack (`buildBootstrapPack`); the session is recorded started, its one
 *   'pack' step sent and finished before the answer leaves. Only a 1.2 client asks for it. An Accept
 *   other than SenML CBOR gets 4.06 Not Acceptable; refusals are those of the Bootstrap-Request.
 * - A request the server cannot serve (unknown endpoint, a bootstrap of the endpoint under way,
 *   registration data without a key) is answered 4.00 Bad Request (Transport 1.1 section 6, the
 *   Bootstrap-Request's failure code) and recorded as refused; refusals of unknown endpoints one by
 *   one within RefusalAudit's per-window limit, beyond it counted into one event per window.
 * - A session not finished `sessionTimeoutSeconds` after its start (default 60: a whole bootstrap is
 *   a handful of round trips, well within it even with CoAP retransmissions, RFC 7252 section 4.8.2)
 *   ends as failed ('timeout'); a timer expires it, and sessions found active at start (the service
 *   stopped mid-session) are expired at their deadline.
 *
 * Secrets: the PSK keys are opened from the sealed CSV values only to encode the writes; neither they
 * nor any payload reach a log line or an event.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import type { SecretSealer, SealedSecret } from '../../domain/SealedSecret.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { formatPath } from '../../domain/lwm2m/LwM2mPath.ts';
import { encodeContent, encodeEntries, nodeToEntries } from '../../domain/lwm2m/content/ContentCodecs.ts';
import { CONTENT_FORMAT, contentFormatName } from '../../domain/lwm2m/content/ContentFormat.ts';
import { ASSUMED_KEPT_ACCOUNTS, IncompleteBootstrapData, buildBootstrapPack, buildBootstrapPlan, describeStep } from '../../domain/bootstrap/BootstrapPlan.ts';
import type { BootstrapDefaults, BootstrapKeys, BootstrapPlan, BootstrapStep, BootstrapWrite, KeptAccounts } from '../../domain/bootstrap/BootstrapPlan.ts';
import { discoverBootstrapAccounts } from '../../domain/bootstrap/BootstrapDiscovery.ts';
import { SessionNotActive, bootstrapSessionDecider } from '../../domain/bootstrap/BootstrapSessionDecider.ts';
import type { BootstrapPlanOutcome, BootstrapSessionCommand, BootstrapSessionState } from '../../domain/bootstrap/BootstrapSessionDecider.ts';
import { bootstrapStream, bootstrapStreamPrefix } from '../../domain/bootstrap/BootstrapEvents.ts';
import type { BootstrapEvent, BootstrapIdentity, BootstrapPeer, BootstrapRefusalReason } from '../../domain/bootstrap/BootstrapEvents.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { Timer, Timers } from '../../adapters/runtime/Timers.ts';
import { systemTimers } from '../../adapters/runtime/Timers.ts';
import { CoapTimeoutError } from '../../adapters/coap/CoapEndpoint.ts';
import type { CoapEndpoint, CoapPeer, CoapResponse, CoapRoutes, IncomingCoapRequest, OutgoingCoapRequest } from '../../adapters/coap/CoapEndpoint.ts';
import type { BootstrapDeviceDirectory } from './BootstrapDeviceDirectory.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { LiveView } from '../kernel/LiveView.ts';
import { LogFeed } from '../kernel/LogFeed.ts';
import { RefusalAudit } from '../refusals/RefusalAudit.ts';
import type { RefusalTallyPolicy } from '../../domain/refusals/RefusalTally.ts';

export const DEFAULT_BOOTSTRAP_SESSION_TIMEOUT_SECONDS = 60;

export interface BootstrapServerOptions {
  readonly store: EventStore;
  /** The process's command runner and log feed; the server makes its own when absent (tests). */
  readonly runner?: AggregateCommandRunner;
  readonly feed?: LogFeed;
  readonly directory: BootstrapDeviceDirectory;
  readonly sealer: SecretSealer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly defaults: BootstrapDefaults;
  readonly sessionTimeoutSeconds?: number;
  /** What wakes the server at a session's deadline (the system's by default); it must move with `clock`. */
  readonly timers?: Timers;
  readonly newSessionId?: () => string;
  /** The bounded audit of unknown endpoints' requests (RefusalTally's defaults when absent). */
  readonly refusalPolicy?: Partial<RefusalTallyPolicy>;
}

/**
 * Which port an endpoint is, in the registration's words, and how its requests are secured: plain CoAP
 * over UDP or TCP, or DTLS ('psk') or TLS ('tls') with the PSK identity of each peer's session.
 */
export type BootstrapChannel =
  | { readonly kind: 'plain' | 'tcp' }
  | { readonly kind: 'psk' | 'tls'; readonly pskIdentityOf: (peer: CoapPeer) => string | undefined };

/** What the client asked for: a Bootstrap-Request (the server then sends its requests from `endpoint`) or a Bootstrap-Pack. */
type BootstrapAsked =
  | { readonly kind: 'request'; readonly endpoint: CoapEndpoint; readonly preferredContentFormat: number | null }
  | { readonly kind: 'pack' };

interface FoundDevice {
  readonly device: DeviceRegistrationData;
  readonly identity: BootstrapIdentity;
}

/** A plan with each write's payload encoded, ready to send. */
interface PreparedStep {
  readonly step: BootstrapStep;
  readonly request: OutgoingCoapRequest;
}

interface PreparedPlan {
  readonly plan: BootstrapPlan;
  readonly steps: readonly PreparedStep[];
  /** A Bootstrap-Pack's payload, SenML CBOR; undefined for a plan of requests. */
  readonly pack: Uint8Array | undefined;
}

export class BootstrapServer {
  readonly #runner: AggregateCommandRunner;
  readonly #directory: BootstrapDeviceDirectory;
  readonly #sealer: SecretSealer;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #defaults: BootstrapDefaults;
  readonly #timeoutSeconds: number;
  readonly #newSessionId: () => string;
  readonly #timers: Timers;
  readonly #expiryTimers = new Map<string, Timer>();
  readonly #refusals: RefusalAudit;
  #closed = false;

  private constructor(options: BootstrapServerOptions) {
    this.#runner = options.runner ?? new AggregateCommandRunner({ store: options.store });
    this.#directory = options.directory;
    this.#sealer = options.sealer;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#defaults = options.defaults;
    this.#timeoutSeconds = options.sessionTimeoutSeconds ?? DEFAULT_BOOTSTRAP_SESSION_TIMEOUT_SECONDS;
    this.#timers = options.timers ?? systemTimers;
    this.#newSessionId = options.newSessionId ?? randomUUID;
    this.#refusals = new RefusalAudit({
      store: options.store,
      clock: options.clock,
      logger: options.logger,
      interface: 'bootstrap',
      ...(options.refusalPolicy === undefined ? {} : { policy: options.refusalPolicy }),
    });
  }

  /**
   * Schedules the expiry of sessions the log shows under way, then serves. The sessions are read once,
   * by a live view that leaves the feed when it has caught up: later sessions are this server's own.
   */
  static async start(options: BootstrapServerOptions): Promise<BootstrapServer> {
    const server = new BootstrapServer(options);
    const feed = options.feed ?? new LogFeed({ store: options.store });
    const sessions = await LiveView.open(feed, {
      name: 'bootstrap sessions',
      filter: { streamPrefixes: [bootstrapStreamPrefix] },
      initialState: new Map<string, BootstrapSessionState>(),
      evolve: (states, recorded) =>
        states.set(recorded.stream, bootstrapSessionDecider.evolve(states.get(recorded.stream) ?? bootstrapSessionDecider.initialState, toDomainEvent<BootstrapEvent>(recorded))),
    });
    feed.leave(sessions);
    if (feed !== options.feed) await feed.close();
    for (const [stream, state] of sessions.state) {
      if (state.active) server.#scheduleExpiry(stream.slice(bootstrapStreamPrefix.length), state.active.sessionId, state.active.deadline);
    }
    return server;
  }

  /** Serves the Bootstrap Interface on the port of `endpoint`, through its uplink routes: its requests, and the plan's requests sent from it. */
  serve(routes: CoapRoutes, endpoint: CoapEndpoint, channel: BootstrapChannel = { kind: 'plain' }): void {
    const handler = (request: IncomingCoapRequest): Promise<CoapResponse> => this.#route(endpoint, request, channel);
    routes.route('bs', handler);
    routes.route('bspack', handler);
  }

  /** Stops expiry timers and the sessions' runners (sessions under way are expired at the next start), and records the refusals counted so far. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#expiryTimers.values()) timer.cancel();
    this.#expiryTimers.clear();
    await this.#refusals.close();
  }

  async #route(endpoint: CoapEndpoint, request: IncomingCoapRequest, channel: BootstrapChannel): Promise<CoapResponse> {
    const [first, ...rest] = request.path;
    if (rest.length > 0) return { code: '4.04' };
    const pack = first === 'bspack';
    if (first !== 'bs' && !pack) return { code: '4.04' };
    if (request.method !== (pack ? 'GET' : 'POST')) return { code: '4.05' };
    const query = parseBootstrapQuery(request.query);
    if ('error' in query) return diagnostic('4.00', query.error);
    if (pack && request.accept !== undefined && request.accept !== CONTENT_FORMAT.senmlCbor) {
      return diagnostic('4.06', `a Bootstrap-Pack is ${contentFormatName(CONTENT_FORMAT.senmlCbor)} (${CONTENT_FORMAT.senmlCbor})`);
    }
    const peer: BootstrapPeer = { address: request.peer.address, port: request.peer.port, channel: channel.kind };
    const pskIdentity = 'pskIdentityOf' in channel ? (channel.pskIdentityOf(request.peer) ?? null) : null;
    const asked: BootstrapAsked = pack ? { kind: 'pack' } : { kind: 'request', endpoint, preferredContentFormat: query.preferredContentFormat };
    return this.#bootstrap(asked, request.peer, peer, query.endpoint, pskIdentity);
  }

  async #bootstrap(asked: BootstrapAsked, coapPeer: CoapPeer, peer: BootstrapPeer, requestedEndpoint: string, pskIdentity: string | null): Promise<CoapResponse> {
    const found = await this.#find(requestedEndpoint, pskIdentity);
    if (found === undefined && !this.#refusals.admit({ endpoint: requestedEndpoint, address: peer.address, reason: 'unknown-endpoint' })) {
      return diagnostic('4.00', refusalText['unknown-endpoint']);
    }
    const sessionId = this.#newSessionId();
    const identity: BootstrapIdentity = found?.identity ?? (pskIdentity === null ? { kind: 'endpoint', value: requestedEndpoint } : { kind: 'pskIdentity', value: pskIdentity });
    const preferredContentFormat = asked.kind === 'request' ? asked.preferredContentFormat : null;
    const prepared =
      found === undefined
        ? undefined
        : asked.kind === 'pack'
          ? this.#prepare(found.device, (keys) => buildBootstrapPack(found.device, keys, this.#defaults))
          : this.#prepare(found.device, (keys) => buildBootstrapPlan(found.device, keys, this.#defaults, preferredContentFormat, ASSUMED_KEPT_ACCOUNTS));
    const planOutcome: BootstrapPlanOutcome =
      found === undefined
        ? { ok: false, reason: 'unknown-endpoint' }
        : prepared === undefined
          ? { ok: false, reason: 'incomplete-registration' }
          : {
              ok: true,
              endpoint: found.device.endpoint,
              preferredContentFormat,
              contentFormat: prepared.plan.contentFormat,
              keptAccounts: prepared.plan.kept,
              steps: prepared.plan.steps.map(describeStep),
            };
    const stream = bootstrapStream(found?.device.endpoint ?? requestedEndpoint);
    const result = await this.#runner.run(
      stream,
      bootstrapSessionDecider,
      { type: 'RequestBootstrap', sessionId, requestedEndpoint, peer, identity, plan: planOutcome, now: this.#clock.now(), sessionTimeoutSeconds: this.#timeoutSeconds },
      { metadata: { actor: `device:${found?.device.endpoint ?? requestedEndpoint}`, correlationId: sessionId, schemaVersion: 1 } },
    );
    const started = result.events.find((event) => event.type === 'BootstrapSessionStarted');
    if (started === undefined || prepared === undefined || found === undefined) {
      const refused = result.events.find((event) => event.type === 'BootstrapRequestRefused');
      const reason: BootstrapRefusalReason = refused?.data.reason ?? 'unknown-endpoint';
      this.#logger.info({ endpoint: requestedEndpoint, address: peer.address, reason }, 'bootstrap request refused');
      return diagnostic('4.00', refusalText[reason]);
    }
    this.#logger.info({ endpoint: found.device.endpoint, sessionId, address: peer.address, identity: identity.kind, pack: asked.kind === 'pack' }, 'bootstrap session started');
    this.#scheduleExpiry(found.device.endpoint, sessionId, started.data.deadline);
    if (asked.kind === 'pack') {
      // buildBootstrapPack makes a plan of one pack step, which #prepare encodes; anything else is a bug.
      if (prepared.pack === undefined) throw new Error('a Bootstrap-Pack plan without its pack');
      return this.#sendPack(found.device.endpoint, sessionId, prepared.pack);
    }
    // The 2.04 goes out when this handler returns; the plan's first request follows it (Core 1.1
    // section 6.1: the server starts its operations after answering the Bootstrap-Request).
    const revise = (kept: KeptAccounts): PreparedPlan | undefined =>
      this.#prepare(found.device, (keys) => buildBootstrapPlan(found.device, keys, this.#defaults, preferredContentFormat, kept));
    setImmediate(() => {
      this.#run(asked.endpoint, coapPeer, found.device.endpoint, sessionId, prepared.steps, revise).catch((error: unknown) =>
        this.#logger.error({ err: error, endpoint: found.device.endpoint, sessionId }, 'bootstrap session runner failed'),
      );
    });
    return { code: '2.04' };
  }

  /** Records the pack sent (which finishes the session), then answers with it. */
  async #sendPack(deviceEndpoint: string, sessionId: string, pack: Uint8Array): Promise<CoapResponse> {
    const result = await this.#runner.run(bootstrapStream(deviceEndpoint), bootstrapSessionDecider, { type: 'SendStep', sessionId, step: 0, now: this.#clock.now() }, {
      metadata: { actor: 'system:bootstrap-server', correlationId: sessionId, schemaVersion: 1 },
    });
    const ended = result.events.find((event) => event.type === 'BootstrapSessionFinished' || event.type === 'BootstrapSessionFailed');
    if (ended) this.#ended(deviceEndpoint, sessionId, ended);
    if (ended?.type !== 'BootstrapSessionFinished') return diagnostic('5.03', 'the bootstrap session ended before its pack was sent');
    return { code: '2.05', contentFormat: CONTENT_FORMAT.senmlCbor, payload: pack };
  }

  async #find(requestedEndpoint: string, pskIdentity: string | null): Promise<FoundDevice | undefined> {
    if (pskIdentity !== null) {
      // Over DTLS the handshake's identity names the device; the `ep` must be that device's (the
      // endpoint must match the authenticated identity, as for registration).
      const device = await this.#directory.byPskIdentity(pskIdentity);
      if (device === undefined) return undefined;
      if (device.endpoint !== requestedEndpoint && device.externalBootstrapPskId !== requestedEndpoint) return undefined;
      return { device, identity: { kind: 'pskIdentity', value: pskIdentity } };
    }
    const byName = await this.#directory.byEndpoint(requestedEndpoint);
    if (byName) return { device: byName, identity: { kind: 'endpoint', value: requestedEndpoint } };
    const byExternalId = await this.#directory.byExternalBootstrapPskId(requestedEndpoint);
    if (byExternalId) return { device: byExternalId, identity: { kind: 'externalBootstrapPskId', value: requestedEndpoint } };
    return undefined;
  }

  /** The plan `build` makes with the device's clear keys, its requests encoded; undefined when the registration data cannot make one. */
  #prepare(device: DeviceRegistrationData, build: (keys: BootstrapKeys) => BootstrapPlan): PreparedPlan | undefined {
    const keys = { lwm2mPskKey: this.#open(device.lwm2mPskKey), bootstrapPskKey: this.#open(device.bootstrapPskKey) };
    try {
      const plan = build(keys);
      // Encoded here, before the keys are wiped below. A pack is the answer to the client's request: no request of its own.
      const steps = plan.steps.flatMap((step) => (step.kind === 'pack' ? [] : [{ step, request: toRequest(step, plan.contentFormat) }]));
      const packStep = plan.steps.find((step) => step.kind === 'pack');
      return { plan, steps, pack: packStep === undefined ? undefined : encodePack(packStep.writes) };
    } catch (error) {
      if (error instanceof IncompleteBootstrapData) return undefined;
      throw error;
    } finally {
      keys.lwm2mPskKey?.fill(0);
      keys.bootstrapPskKey?.fill(0);
    }
  }

  #open(secret: SealedSecret | null): Uint8Array | null {
    return secret === null ? null : this.#sealer.open(secret);
  }

  async #run(
    endpoint: CoapEndpoint,
    peer: CoapPeer,
    deviceEndpoint: string,
    sessionId: string,
    planned: readonly PreparedStep[],
    revise: (kept: KeptAccounts) => PreparedPlan | undefined,
  ): Promise<void> {
    let steps = planned;
    const record = async (command: BootstrapSessionCommand): Promise<boolean> => {
      if (this.#closed) return false;
      try {
        const result = await this.#runner.run(bootstrapStream(deviceEndpoint), bootstrapSessionDecider, command, {
          metadata: { actor: 'system:bootstrap-server', correlationId: sessionId, schemaVersion: 1 },
        });
        const ended = result.events.find((event) => event.type === 'BootstrapSessionFinished' || event.type === 'BootstrapSessionFailed');
        if (ended) this.#ended(deviceEndpoint, sessionId, ended);
        return result.state.active?.sessionId === sessionId;
      } catch (error) {
        if (error instanceof SessionNotActive) return false;
        throw error;
      }
    };
    for (let index = 0; index < steps.length; index++) {
      const current = steps[index];
      if (current === undefined) return;
      if (!(await record({ type: 'SendStep', sessionId, step: index, now: this.#clock.now() }))) return;
      let answer: BootstrapSessionCommand;
      let revised: PreparedPlan | undefined;
      try {
        const response = await endpoint.request(peer, current.request);
        answer = { type: 'RecordAnswer', sessionId, step: index, code: response.code, now: this.#clock.now() };
        if (current.step.kind === 'discover') {
          const content = new TextDecoder().decode(response.payload);
          // The Discover before the writes decides their instance ids; the one after them only informs.
          const beforeWrites = steps.slice(index + 1).some(({ step }) => step.kind === 'write');
          revised = response.code === '2.05' && beforeWrites ? this.#revise(deviceEndpoint, sessionId, content, revise) : undefined;
          const revision = revised === undefined ? {} : { revision: { keptAccounts: revised.plan.kept, steps: revised.plan.steps.map(describeStep) } };
          answer = { ...answer, content, ...revision };
        }
      } catch (error) {
        if (this.#closed) return;
        answer =
          error instanceof CoapTimeoutError
            ? { type: 'RecordNoAnswer', sessionId, step: index, reason: 'timeout', detail: error.message, now: this.#clock.now() }
            : {
                type: 'RecordNoAnswer',
                sessionId,
                step: index,
                reason: 'device-unreachable',
                detail: error instanceof Error ? error.message : String(error),
                now: this.#clock.now(),
              };
      }
      if (!(await record(answer))) return;
      if (revised !== undefined) steps = revised.steps;
    }
  }

  /** The plan built again with the accounts a Discover answer lists; undefined when the answer says nothing usable. */
  #revise(deviceEndpoint: string, sessionId: string, answer: string, revise: (kept: KeptAccounts) => PreparedPlan | undefined): PreparedPlan | undefined {
    const discovered = discoverBootstrapAccounts(answer);
    if (!discovered.ok) {
      this.#logger.info({ endpoint: deviceEndpoint, sessionId, reason: discovered.reason }, 'bootstrap discover answer not understood: the plan keeps its assumption');
      return undefined;
    }
    return revise({ basis: 'discovered', securityInstances: discovered.bootstrapAccounts });
  }

  #ended(deviceEndpoint: string, sessionId: string, event: BootstrapEvent): void {
    this.#expiryTimers.get(sessionId)?.cancel();
    this.#expiryTimers.delete(sessionId);
    if (event.type === 'BootstrapSessionFailed') {
      this.#logger.info({ endpoint: deviceEndpoint, sessionId, reason: event.data.reason, code: event.data.code, step: event.data.step }, 'bootstrap session failed');
    } else {
      this.#logger.info({ endpoint: deviceEndpoint, sessionId }, 'bootstrap session finished');
    }
  }

  #scheduleExpiry(deviceEndpoint: string, sessionId: string, deadline: string): void {
    const delay = Math.max(0, Date.parse(deadline) - this.#clock.now().getTime());
    const timer = this.#timers.after(delay, () => {
      this.#expiryTimers.delete(sessionId);
      if (this.#closed) return;
      this.#runner.run(bootstrapStream(deviceEndpoint), bootstrapSessionDecider, { type: 'ExpireSession', sessionId, now: this.#clock.now() }, {
        metadata: { actor: 'system:bootstrap-expiry', correlationId: sessionId, schemaVersion: 1 },
      })
        .then((result) => {
          const failed = result.events.find((event) => event.type === 'BootstrapSessionFailed');
          if (failed) this.#ended(deviceEndpoint, sessionId, failed);
        })
        .catch((error: unknown) => this.#logger.error({ err: error, endpoint: deviceEndpoint, sessionId }, 'bootstrap session expiry failed'));
    });
    this.#expiryTimers.set(sessionId, timer);
  }
}

const refusalText: Readonly<Record<BootstrapRefusalReason, string>> = {
  'unknown-endpoint': 'no bootstrap information for this endpoint',
  'concurrent-bootstrap': 'a bootstrap of this endpoint is under way',
  'incomplete-registration': 'the registration data of this endpoint is incomplete',
};

/** A Bootstrap-Pack's payload: every written instance as SenML CBOR records named by full path (Core 1.2 section 6.1.7). */
function encodePack(writes: readonly BootstrapWrite[]): Uint8Array {
  const encoded = encodeEntries(CONTENT_FORMAT.senmlCbor, writes.flatMap((write) => nodeToEntries(write.node, write.target)));
  // The plan's nodes are typed by the object definitions; a pack that cannot be encoded is a bug.
  if (!encoded.ok) throw new Error(`cannot encode the Bootstrap-Pack: ${encoded.error.message}`);
  return encoded.value;
}

/** The CoAP request of a step (Transport 1.1 section 6, the Bootstrap Interface's operations). */
function toRequest(step: Exclude<BootstrapStep, { kind: 'pack' }>, contentFormat: number): OutgoingCoapRequest {
  switch (step.kind) {
    case 'discover':
      // Bootstrap-Discover: GET with Accept application/link-format, here on the root.
      return { method: 'GET', path: [], accept: CONTENT_FORMAT.linkFormat };
    case 'delete':
      return { method: 'DELETE', path: [String(step.target.objectId)] };
    case 'write': {
      const encoded = encodeContent(contentFormat, step.node, step.target);
      // The plan's nodes are typed by the object definitions; a format that cannot carry them is a bug.
      if (!encoded.ok) throw new Error(`cannot encode the write of ${formatPath(step.target)}: ${encoded.error.message}`);
      return { method: 'PUT', path: formatPath(step.target).slice(1).split('/'), contentFormat, payload: encoded.value };
    }
    case 'finish':
      return { method: 'POST', path: ['bs'] };
  }
}

/** `ep` (required) and `pct` (optional, a content-format number) of a Bootstrap-Request. */
export function parseBootstrapQuery(query: readonly string[]): { endpoint: string; preferredContentFormat: number | null } | { error: string } {
  let endpoint: string | undefined;
  let preferredContentFormat: number | null = null;
  for (const argument of query) {
    const equals = argument.indexOf('=');
    const name = equals < 0 ? argument : argument.slice(0, equals);
    const value = equals < 0 ? '' : argument.slice(equals + 1);
    if (name === 'ep') endpoint = value;
    else if (name === 'pct') {
      if (!/^(0|[1-9][0-9]{0,4})$/.test(value) || Number(value) > 65535) return { error: `pct "${value}" is not a content-format number` };
      preferredContentFormat = Number(value);
    }
  }
  if (endpoint === undefined || endpoint === '') return { error: 'the Bootstrap-Request needs ep={Endpoint Client Name}' };
  return { endpoint, preferredContentFormat };
}

function diagnostic(code: string, text: string): CoapResponse {
  // RFC 7252 section 5.5.2: a diagnostic payload in plain text explains an error response.
  return { code, payload: new TextEncoder().encode(text) };
}
