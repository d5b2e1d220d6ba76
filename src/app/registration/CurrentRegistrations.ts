/**
 * The state of a live view of the registration streams: the current registration of each endpoint,
 * with its decider state and stream revision, and the indexes by registration id (`/rd/{id}`) and by
 * source address. `apply` is the one place where they change, for every registration event in log
 * order, whoever appended it.
 *
 * Endpoints whose registration ended (de-registered, expired, or a known device's rejected Register)
 * keep their decider state too, so that their next Register is decided without reading the stream.
 * Rejected strangers (unknown endpoints) are left out, so that made-up names cannot grow memory.
 */
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import { peerKey } from '../../adapters/coap/CoapEndpoint.ts';
import type { RegisteredObjects } from '../../domain/registration/ObjectLinks.ts';
import type { RegistrationState } from '../../domain/registration/RegistrationDecider.ts';
import type { RegistrationEvent, RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';

/** An endpoint's decider state and the revision of its stream. */
export interface StreamState {
  readonly state: RegistrationState;
  readonly revision: number;
}

interface Entry extends StreamState {
  /** Folded from the stream's first event: false when it begins after a stranger's rejections, which are not kept. */
  readonly whole: boolean;
}

/** Distinct object-link sets and short texts shared between registrations. */
const maxSharedValues = 10_000;

export class CurrentRegistrations {
  readonly #evolve: (state: RegistrationState, event: RegistrationEvent) => RegistrationState;
  readonly #initialState: RegistrationState;
  readonly #registered = new Map<string, Entry>();
  readonly #ended = new Map<string, Entry>();
  readonly #endpointById = new Map<string, string>();
  /** Source address and port of each registration, so that a Send (which names no endpoint) finds it at once. */
  readonly #endpointByPeer = new Map<string, string>();
  readonly #sharedLinks = new Map<string, RegisteredObjects>();
  readonly #sharedText = new Map<string, string>();

  constructor(decider: { readonly initialState: RegistrationState; evolve(state: RegistrationState, event: RegistrationEvent): RegistrationState }) {
    this.#evolve = (state, event) => decider.evolve(state, event);
    this.#initialState = decider.initialState;
  }

  apply(recorded: RecordedEvent): this {
    const endpoint = recorded.stream.slice(registrationStreamPrefix.length);
    const event = toDomainEvent<RegistrationEvent>(recorded);
    const before = this.#registered.get(endpoint) ?? this.#ended.get(endpoint);
    const state = this.#evolve(before?.state ?? this.#initialState, event);
    const entry: Entry = { state, revision: recorded.revision, whole: before?.whole ?? recorded.revision === 0 };
    const previous = before?.state.registration ?? undefined;
    if (previous) {
      if (previous.registrationId !== state.registration?.registrationId) this.#endpointById.delete(previous.registrationId);
      const previousPeer = peerKey(previous);
      if (this.#endpointByPeer.get(previousPeer) === endpoint) this.#endpointByPeer.delete(previousPeer);
    }
    if (state.registration) {
      this.#ended.delete(endpoint);
      this.#remember(endpoint, entry, state.registration, previous);
    } else {
      this.#registered.delete(endpoint);
      if (before || (event.type === 'RegistrationRejected' && event.data.reason !== 'unknown-endpoint')) this.#ended.set(endpoint, entry);
    }
    return this;
  }

  /** The endpoint's decider state, when it is kept and whole: a command may be decided on it without reading the stream. */
  known(endpoint: string): StreamState | undefined {
    const entry = this.#registered.get(endpoint) ?? this.#ended.get(endpoint);
    return entry?.whole === true ? entry : undefined;
  }

  /** Whether the endpoint's registration stream exists, as far as kept (rejected strangers' streams are not). */
  hasStream(endpoint: string): boolean {
    return this.#registered.has(endpoint) || this.#ended.has(endpoint);
  }

  registration(endpoint: string): RegistrationRecord | undefined {
    return this.#registered.get(endpoint)?.state.registration ?? undefined;
  }

  registrationAt(peer: { readonly address: string; readonly port: number }): RegistrationRecord | undefined {
    const endpoint = this.#endpointByPeer.get(peerKey(peer));
    const record = endpoint === undefined ? undefined : this.registration(endpoint);
    return record && record.address === peer.address && record.port === peer.port ? record : undefined;
  }

  /** The endpoint registered under `/rd/{id}`. */
  endpointOf(registrationId: string): string | undefined {
    return this.#endpointById.get(registrationId);
  }

  *registrations(): Iterable<RegistrationRecord> {
    for (const { state } of this.#registered.values()) if (state.registration) yield state.registration;
  }

  get count(): number {
    return this.#registered.size;
  }

  #remember(endpoint: string, entry: Entry, record: RegistrationRecord, previous: RegistrationRecord | undefined): void {
    // Devices of one model announce the same objects and version: sharing those values keeps an idle
    // registration's footprint small (BENCHMARKS.md, "Registration"). An Update without links keeps
    // the previous (already shared) ones, which need no key.
    const objectLinks = record.objectLinks === previous?.objectLinks ? record.objectLinks : this.#intern(this.#sharedLinks, JSON.stringify(record.objectLinks), record.objectLinks);
    const registration: RegistrationRecord = {
      ...record,
      objectLinks,
      lwm2mVersion: this.#intern(this.#sharedText, record.lwm2mVersion, record.lwm2mVersion),
      binding: this.#intern(this.#sharedText, record.binding, record.binding),
      ...(record.nodeId === undefined ? {} : { nodeId: this.#intern(this.#sharedText, record.nodeId, record.nodeId) }),
    };
    // The record's own endpoint string is the key: the name cut from the stream is one copy more to keep.
    const key = registration.endpoint === endpoint ? registration.endpoint : endpoint;
    this.#registered.set(key, { state: { ...entry.state, registration }, revision: entry.revision, whole: entry.whole });
    this.#endpointById.set(registration.registrationId, key);
    this.#endpointByPeer.set(peerKey(registration), key);
  }

  /** Returns the shared copy of a value, up to a bound on distinct values. */
  #intern<T>(shared: Map<string, T>, key: string, value: T): T {
    const existing = shared.get(key);
    if (existing !== undefined) return existing;
    if (shared.size < maxSharedValues) shared.set(key, value);
    return value;
  }
}
