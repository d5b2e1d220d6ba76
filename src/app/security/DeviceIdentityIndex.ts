/**
 * Which device an identity belongs to, for identities from the registration data on the
 * `device-<endpoint>` streams (the CSV's `lwm2m psk_id`, `bootstrap psk_id`,
 * `external-c8y_BootstrapPskId`, and an RPK device's `publicKey`). The LwM2M server's PSK lookup and the bootstrap server's directory
 * both use it, each with the fields it looks devices up by.
 *
 * The identities are indexed in memory, caught up from the log before each lookup (so that a device
 * imported a moment ago is found without a subscription to run), and every hit is confirmed on the
 * device's own stream, so that the answer is the latest registration data even when the index lags; a
 * decommissioned device is as unknown as one never imported, and an imported one is known only once its
 * import is committed (StagedImports.ts).
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { loadAggregate } from '../../adapters/eventstore/CommandHandler.ts';
import { committedDeviceEvents } from '../devices/DeviceImportCommits.ts';
import { ImportCommits } from '../kernel/ImportCommits.ts';
import { deviceStream } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceEvent, DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';

/** Every field a handshake finds a device by: the PSK identities, and an RPK device's public key. */
export type IndexedDeviceField = 'lwm2mPskId' | 'bootstrapPskId' | 'externalBootstrapPskId' | 'publicKey';

/** A device (`endpoint`) about to take `identity` in `field`. */
export interface DeviceIdentityClaim {
  readonly field: IndexedDeviceField;
  readonly identity: string;
  readonly endpoint: string;
}

const PAGE = 10_000;

interface FieldIndex {
  readonly identityOf: Map<string, string>;
  readonly endpointOf: Map<string, string>;
}

export class DeviceIdentityIndex {
  readonly #store: EventStore;
  readonly #fields: ReadonlyMap<IndexedDeviceField, FieldIndex>;
  readonly #commits: ImportCommits;
  #position = 0;
  #catchingUp: Promise<void> = Promise.resolve();

  constructor(store: EventStore, fields: readonly IndexedDeviceField[]) {
    this.#store = store;
    this.#commits = new ImportCommits(store);
    this.#fields = new Map(fields.map((field) => [field, { identityOf: new Map(), endpointOf: new Map() }]));
  }

  /** The active device with this endpoint name, from its own stream. */
  async byEndpoint(endpoint: string): Promise<DeviceRegistrationData | undefined> {
    const { state } = await loadAggregate(this.#store, deviceStream(endpoint), deviceRegistrationDecider, this.#commits.counted);
    return state.status === 'active' ? state.registration : undefined;
  }

  /** The active device whose `field` is `identity`. */
  async device(field: IndexedDeviceField, identity: string): Promise<DeviceRegistrationData | undefined> {
    await this.#catchUp();
    const endpoint = this.#fields.get(field)?.endpointOf.get(identity);
    if (endpoint === undefined) return undefined;
    const device = await this.byEndpoint(endpoint);
    return device && device[field] === identity ? device : undefined;
  }

  /**
   * For each claim, the active device other than the claimant whose `field` is already the claimed
   * identity, or undefined. One catch-up serves the whole batch (an import checks every row at once),
   * and only a hit on another device is confirmed on that device's stream.
   */
  async otherHolders(claims: readonly DeviceIdentityClaim[]): Promise<(DeviceRegistrationData | undefined)[]> {
    await this.#catchUp();
    return Promise.all(
      claims.map(async ({ field, identity, endpoint }) => {
        const holder = this.#fields.get(field)?.endpointOf.get(identity);
        if (holder === undefined || holder === endpoint) return undefined;
        const device = await this.byEndpoint(holder);
        return device && device[field] === identity ? device : undefined;
      }),
    );
  }

  #catchUp(): Promise<void> {
    // A failed read fails this lookup only; the next one starts again from the same position.
    this.#catchingUp = this.#catchingUp.catch(() => undefined).then(async () => {
      // Every device event up to the head read first is read below; moving past the other streams'
      // events too keeps each lookup's catch-up from scanning the same telemetry again.
      const head = await this.#store.headPosition();
      for await (const { event, through } of committedDeviceEvents(this.#store, this.#position, PAGE)) {
        this.#apply(event);
        this.#position = through;
      }
      this.#position = Math.max(this.#position, head);
    });
    return this.#catchingUp;
  }

  #apply(event: DeviceEvent): void {
    for (const [field, index] of this.#fields) {
      switch (event.type) {
        case 'DeviceRegistrationImported':
          set(index, event.data.registration.endpoint, event.data.registration[field] ?? null);
          break;
        case 'DeviceRegistrationUpdated': {
          const changed = event.data.changes[field];
          if (changed !== undefined) set(index, event.data.endpoint, changed);
          break;
        }
        case 'DeviceDecommissioned':
          set(index, event.data.endpoint, null);
          break;
      }
    }
  }
}

function set(index: FieldIndex, endpoint: string, identity: string | null): void {
  const previous = index.identityOf.get(endpoint);
  if (previous !== undefined && index.endpointOf.get(previous) === endpoint) index.endpointOf.delete(previous);
  index.identityOf.delete(endpoint);
  if (identity === null) return;
  index.identityOf.set(endpoint, identity);
  index.endpointOf.set(identity, endpoint);
}
