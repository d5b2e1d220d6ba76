/**
 * The live view of who each device is: for every active device (imported, its import committed, not
 * decommissioned) its security mode, its PSK identities and sealed keys, and an RPK device's public
 * key, with the endpoint each identity belongs to. It is folded once per process from the `device-`
 * and `import-` streams the same way as the device decider's `evolve` (DeviceRegistrationDecider.ts),
 * a staged import's events at its commit (DeviceImportCommits.ts), and serves every lookup by endpoint
 * or identity: the registration directory, the DTLS and TLS PSK keys, certificate accounts, the
 * bootstrap server's directory, and an import's check that an identity is not taken already.
 *
 * Every lookup first waits until the view has seen the log through its head, so that a device
 * imported or decommissioned a moment before, by this process or another one on the same log, is seen
 * at once.
 */
import type { EventStore, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceEvent, DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import { importStreamPrefix } from '../../domain/imports/StagedImports.ts';
import { LiveView } from '../kernel/LiveView.ts';
import { LogFeed } from '../kernel/LogFeed.ts';
import { deviceEventsAtCommit } from './DeviceImportCommits.ts';

/** Every field a device is found by: the PSK identities, and an RPK device's public key. */
export type IndexedDeviceField = 'lwm2mPskId' | 'bootstrapPskId' | 'externalBootstrapPskId' | 'publicKey';

const indexedFields: readonly IndexedDeviceField[] = ['lwm2mPskId', 'bootstrapPskId', 'externalBootstrapPskId', 'publicKey'];

/** What the lookups need of an active device's registration data. */
export type DeviceIdentity = Pick<DeviceRegistrationData, 'securityMode' | 'lwm2mPskId' | 'lwm2mPskKey' | 'bootstrapPskId' | 'bootstrapPskKey' | 'externalBootstrapPskId'> & {
  readonly publicKey: string | null;
};

export interface DeviceIdentityState {
  /** The active devices by endpoint. */
  readonly devices: Map<string, DeviceIdentity>;
  /** Per field, the endpoint each identity belongs to. */
  readonly endpointOf: ReadonlyMap<IndexedDeviceField, Map<string, string>>;
}

const PAGE = 10_000;

/** Devices without any identity (NO_SEC fleets) share one entry per security mode, to keep a large fleet small. */
const anonymous = new Map<string, DeviceIdentity>();

function identityOf(registration: Omit<DeviceIdentity, 'publicKey'> & { readonly publicKey?: string | null }): DeviceIdentity {
  const { securityMode, lwm2mPskId, lwm2mPskKey, bootstrapPskId, bootstrapPskKey, externalBootstrapPskId } = registration;
  const identity: DeviceIdentity = { securityMode, lwm2mPskId, lwm2mPskKey, bootstrapPskId, bootstrapPskKey, externalBootstrapPskId, publicKey: registration.publicKey ?? null };
  if (indexedFields.some((field) => identity[field] !== null) || lwm2mPskKey !== null || bootstrapPskKey !== null) return identity;
  let shared = anonymous.get(securityMode);
  if (!shared) {
    shared = identity;
    anonymous.set(securityMode, shared);
  }
  return shared;
}

function evolve(state: DeviceIdentityState, recorded: RecordedEvent): DeviceIdentityState {
  const event = toDomainEvent<DeviceEvent>(recorded);
  const endpoint = recorded.stream.slice(deviceStreamPrefix.length);
  const before = state.devices.get(endpoint);
  let after: DeviceIdentity | undefined;
  if (event.type === 'DeviceRegistrationImported') after = identityOf(event.data.registration);
  else if (event.type === 'DeviceRegistrationUpdated') after = before && identityOf({ ...before, ...event.data.changes });
  else if (event.type === 'DeviceDecommissioned') after = undefined;
  else return state;
  for (const field of indexedFields) {
    const index = state.endpointOf.get(field);
    const previous = before?.[field];
    if (index && previous != null && index.get(previous) === endpoint) index.delete(previous);
  }
  if (after === undefined) {
    state.devices.delete(endpoint);
    return state;
  }
  // The endpoint as the import names it, a string of its own: the name cut from the stream name is a
  // slice, which keeps the whole stream name alive with it (tens of bytes a device in a large fleet).
  const key = event.type === 'DeviceRegistrationImported' && event.data.registration.endpoint === endpoint ? event.data.registration.endpoint : endpoint;
  state.devices.set(key, after);
  for (const field of indexedFields) {
    const identity = after[field];
    if (identity !== null) state.endpointOf.get(field)?.set(identity, key);
  }
  return state;
}

export class DeviceIdentities {
  /** One view per store: every lookup of a process shares it. */
  static readonly #byStore = new WeakMap<EventStore, DeviceIdentities>();

  /**
   * The view of this store's log, opened at the first lookup. `feed`, the process's log feed, is the
   * one it reads through when given by any caller before that lookup (the composition root gives it);
   * otherwise the view has a feed of its own.
   */
  static of(store: EventStore, feed?: LogFeed): DeviceIdentities {
    let identities = DeviceIdentities.#byStore.get(store);
    if (!identities) {
      identities = new DeviceIdentities(store);
      DeviceIdentities.#byStore.set(store, identities);
    }
    identities.#processFeed ??= feed;
    return identities;
  }

  readonly #store: EventStore;
  #processFeed: LogFeed | undefined;
  #view: Promise<LiveView<DeviceIdentityState>> | undefined;

  private constructor(store: EventStore) {
    this.#store = store;
  }

  /** The view once it has seen the log through its head at the time of the call. */
  async current(): Promise<DeviceIdentityState> {
    const opening = (this.#view ??= this.#open());
    const view = await opening;
    try {
      await view.waitFor(await this.#store.headPosition());
    } catch (error) {
      // The feed stopped (the store failed): this lookup fails, the next one opens the view again.
      if (this.#view === opening) this.#view = undefined;
      throw error;
    }
    return view.state;
  }

  /** The active device's identities. */
  async device(endpoint: string): Promise<DeviceIdentity | undefined> {
    return (await this.current()).devices.get(endpoint);
  }

  /** The endpoint of the active device whose `field` is `identity`. */
  async endpoint(field: IndexedDeviceField, identity: string): Promise<string | undefined> {
    return (await this.current()).endpointOf.get(field)?.get(identity);
  }

  #open(): Promise<LiveView<DeviceIdentityState>> {
    const opening = LiveView.open(this.#processFeed ?? new LogFeed({ store: this.#store }), {
      name: 'device identities',
      filter: { streamPrefixes: [deviceStreamPrefix, importStreamPrefix] },
      initialState: { devices: new Map(), endpointOf: new Map(indexedFields.map((field) => [field, new Map<string, string>()])) },
      evolve,
      expand: deviceEventsAtCommit(this.#store, PAGE),
    });
    // A failed opening fails its own lookups only; the next lookup opens the view again.
    opening.catch(() => {
      if (this.#view === opening) this.#view = undefined;
    });
    return opening;
  }
}
