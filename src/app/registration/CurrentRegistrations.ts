/**
 * The state of a live view of the registration streams: the current registration of each endpoint,
 * with its decider state and stream revision, and the indexes by registration id (`/rd/{id}`) and by
 * source address. `apply` is the one place where they change, for every registration event in log
 * order, whoever appended it.
 *
 * Endpoints whose registration ended (de-registered, expired, or a known device's rejected Register)
 * keep their decider state too, so that their next Register is decided without reading the stream.
 * Rejected strangers (unknown endpoints) are left out, so that made-up names cannot grow memory.
 *
 * The deadline of each registration (its lifetime after the last Register or Update, LwM2M Core 1.1
 * section 6.2, plus the policy's grace) is kept in a DeadlineSchedule, so that expiry looks only at
 * the deadlines that are due; taking them (`takeExpired`) is the one change made outside `apply`.
 */
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import { peerKey } from '../../adapters/coap/CoapEndpoint.ts';
import type { RegisteredObjects } from '../../domain/registration/ObjectLinks.ts';
import { sameObjectLinks } from '../../domain/registration/ObjectLinks.ts';
import type { RegistrationPolicy, RegistrationState } from '../../domain/registration/RegistrationDecider.ts';
import { defaultRegistrationPolicy, registrationDeadline } from '../../domain/registration/RegistrationDecider.ts';
import type { RegistrationEvent, RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import { DeadlineSchedule } from './DeadlineSchedule.ts';
import type { PendingSeconds } from './DeadlineSchedule.ts';

/** An endpoint's decider state and the revision of its stream. */
export interface StreamState {
  readonly state: RegistrationState;
  readonly revision: number;
}

/**
 * What the view keeps of an endpoint: the fields of its decider state, the stream's revision, and
 * whether it was folded whole. One object per endpoint (not a state inside an entry): at a million
 * registrations each object kept costs tens of megabytes.
 */
interface Entry extends RegistrationState {
  readonly revision: number;
  /** Folded from the stream's first event: false when it begins after a stranger's rejections, which are not kept. */
  readonly whole: boolean;
  /** The second of the registration's deadline entry that counts in the schedule (DeadlineSchedule); none once ended. */
  dueSecond: number | undefined;
}

/** The deadline schedule's second of each registration, kept on the view's entry instead of in a map of its own. */
class DueSecondOfEntries implements PendingSeconds {
  readonly #entries: Map<string, Entry>;

  constructor(entries: Map<string, Entry>) {
    this.#entries = entries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): number | undefined {
    return this.#entries.get(key)?.dueSecond;
  }

  set(key: string, second: number): void {
    const entry = this.#entries.get(key);
    if (entry) entry.dueSecond = second;
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry?.dueSecond === undefined) return false;
    entry.dueSecond = undefined;
    return true;
  }
}

/** Distinct object-link sets and short texts shared between registrations. */
const maxSharedValues = 10_000;

export class CurrentRegistrations {
  readonly #evolve: (state: RegistrationState, event: RegistrationEvent) => RegistrationState;
  readonly #initialState: RegistrationState;
  readonly #policy: RegistrationPolicy;
  readonly #registered = new Map<string, Entry>();
  readonly #deadlines = new DeadlineSchedule(new DueSecondOfEntries(this.#registered));
  readonly #ended = new Map<string, Entry>();
  readonly #endpointById = new Map<string, string>();
  /** Source address and port of each registration, so that a Send (which names no endpoint) finds it at once. */
  readonly #endpointByPeer = new Map<string, string>();
  readonly #sharedLinks = new Map<string, RegisteredObjects>();
  readonly #sharedText = new Map<string, string>();
  /** The object links kept last: a fleet of one model shares them, found without building a key. */
  #lastLinks: RegisteredObjects | undefined;
  /** The last time text kept: registrations of one millisecond share it (a burst registers thousands a second). */
  #lastTime = '';

  constructor(
    decider: { readonly initialState: RegistrationState; evolve(state: RegistrationState, event: RegistrationEvent): RegistrationState },
    policy: RegistrationPolicy = defaultRegistrationPolicy,
  ) {
    this.#evolve = (state, event) => decider.evolve(state, event);
    this.#initialState = decider.initialState;
    this.#policy = policy;
  }

  apply(recorded: RecordedEvent): this {
    const endpoint = recorded.stream.slice(registrationStreamPrefix.length);
    const event = toDomainEvent<RegistrationEvent>(recorded);
    const before = this.#registered.get(endpoint) ?? this.#ended.get(endpoint);
    // An entry is a decider state with two fields more; the state evolved from it is not kept as it is.
    const state = this.#evolve(before ?? this.#initialState, event);
    const revision = recorded.revision;
    const whole = before?.whole ?? revision === 0;
    const previous = before?.registration ?? undefined;
    // An Update from where the device was keeps its id and address: its index entries stay as they
    // are, since removing and adding entries of a million-entry map costs more than looking them up.
    if (previous) {
      if (previous.registrationId !== state.registration?.registrationId) this.#endpointById.delete(previous.registrationId);
      if (!samePeer(previous, state.registration)) {
        const previousPeer = peerKey(previous);
        if (this.#endpointByPeer.get(previousPeer) === endpoint) this.#endpointByPeer.delete(previousPeer);
      }
    }
    if (state.registration) {
      this.#ended.delete(endpoint);
      this.#remember(endpoint, { registration: state.registration, lastRejectedAt: state.lastRejectedAt, revision, whole, dueSecond: before?.dueSecond }, previous);
    } else {
      this.#registered.delete(endpoint);
      this.#deadlines.unschedule(endpoint);
      if (before || (event.type === 'RegistrationRejected' && event.data.reason !== 'unknown-endpoint')) this.#ended.set(endpoint, { registration: null, lastRejectedAt: state.lastRejectedAt, revision, whole, dueSecond: undefined });
    }
    return this;
  }

  /** The endpoint's decider state, when it is kept and whole: a command may be decided on it without reading the stream. */
  known(endpoint: string): StreamState | undefined {
    const entry = this.#registered.get(endpoint) ?? this.#ended.get(endpoint);
    return entry?.whole === true ? { state: { registration: entry.registration, lastRejectedAt: entry.lastRejectedAt }, revision: entry.revision } : undefined;
  }

  /** Whether the endpoint's registration stream exists, as far as kept (rejected strangers' streams are not). */
  hasStream(endpoint: string): boolean {
    return this.#registered.has(endpoint) || this.#ended.has(endpoint);
  }

  registration(endpoint: string): RegistrationRecord | undefined {
    return this.#registered.get(endpoint)?.registration ?? undefined;
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
    for (const { registration } of this.#registered.values()) if (registration) yield registration;
  }

  get count(): number {
    return this.#registered.size;
  }

  /**
   * Takes the registrations past their deadline at `now`, earliest first, for expiry; `examined` counts
   * the schedule's entries looked at (the deadlines of the seconds that passed, not every registration).
   * One taken is taken again a second later while it is still registered (its expiry failed or lost).
   */
  takeExpired(now: Date): { readonly expired: RegistrationRecord[]; readonly examined: number } {
    const { due, examined } = this.#deadlines.takeDue(now.getTime(), (endpoint) => {
      const registration = this.registration(endpoint);
      return registration === undefined ? undefined : registrationDeadline(registration, this.#policy).getTime();
    });
    const expired: RegistrationRecord[] = [];
    for (const endpoint of due) {
      const registration = this.registration(endpoint);
      if (registration) expired.push(registration);
    }
    return { expired, examined };
  }

  /** Entries of the deadline schedule, stale ones included (at most twice the registrations plus a constant). */
  get scheduledDeadlines(): number {
    return this.#deadlines.entries;
  }

  #remember(endpoint: string, entry: Entry & { readonly registration: RegistrationRecord }, previous: RegistrationRecord | undefined): void {
    const record = entry.registration;
    // Devices of one model announce the same objects and version: sharing those values keeps an idle
    // registration's footprint small (BENCHMARKS.md, "Registration"). An Update without links keeps
    // the previous (already shared) ones, which need no key.
    const objectLinks = record.objectLinks === previous?.objectLinks ? record.objectLinks : this.#shareLinks(record.objectLinks);
    const lwm2mVersion = this.#intern(this.#sharedText, record.lwm2mVersion, record.lwm2mVersion);
    const binding = this.#intern(this.#sharedText, record.binding, record.binding);
    const nodeId = record.nodeId === undefined ? undefined : this.#intern(this.#sharedText, record.nodeId, record.nodeId);
    const registeredAt = this.#time(record.registeredAt);
    // A registration not updated since it was made: one text for both times.
    const lastUpdateAt = record.lastUpdateAt === registeredAt ? registeredAt : this.#time(record.lastUpdateAt);
    const registration: RegistrationRecord = { ...record, objectLinks, lwm2mVersion, binding, registeredAt, lastUpdateAt, ...(nodeId === undefined ? {} : { nodeId }) };
    // The record's own endpoint string is the key: the name cut from the stream is one copy more to keep.
    const key = registration.endpoint === endpoint ? registration.endpoint : endpoint;
    // The deadline entry that counts carries over; the schedule then reads and moves it on this entry.
    this.#registered.set(key, { registration, lastRejectedAt: entry.lastRejectedAt, revision: entry.revision, whole: entry.whole, dueSecond: entry.dueSecond });
    if (registration.registrationId !== previous?.registrationId) this.#endpointById.set(registration.registrationId, key);
    // The latest registration or update from an address takes its entry, as when it moved there.
    const peer = peerKey(registration);
    if (!samePeer(previous, registration) || this.#endpointByPeer.get(peer) !== key) this.#endpointByPeer.set(peer, key);
    this.#deadlines.schedule(key, registrationDeadline(registration, this.#policy).getTime());
  }

  #shareLinks(links: RegisteredObjects): RegisteredObjects {
    if (this.#lastLinks !== undefined && sameObjectLinks(links, this.#lastLinks)) return this.#lastLinks;
    const shared = this.#intern(this.#sharedLinks, JSON.stringify(links), links);
    this.#lastLinks = shared;
    return shared;
  }

  /** The kept copy of a time text when it is the last one kept. */
  #time(text: string): string {
    if (text === this.#lastTime) return this.#lastTime;
    this.#lastTime = text;
    return text;
  }

  /** Returns the shared copy of a value, up to a bound on distinct values. */
  #intern<T>(shared: Map<string, T>, key: string, value: T): T {
    const existing = shared.get(key);
    if (existing !== undefined) return existing;
    if (shared.size < maxSharedValues) shared.set(key, value);
    return value;
  }
}

function samePeer(one: RegistrationRecord | null | undefined, other: RegistrationRecord | null | undefined): boolean {
  return one != null && other != null && one.address === other.address && one.port === other.port;
}
