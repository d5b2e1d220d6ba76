/**
 * Which device an identity belongs to, for identities from the registration data on the
 * `device-<endpoint>` streams (the CSV's `lwm2m psk_id`, `bootstrap psk_id`,
 * `external-c8y_BootstrapPskId`, and an RPK device's `publicKey`). The LwM2M server's PSK lookup and
 * the bootstrap server's directory both use it, each with the fields it looks devices up by.
 *
 * The identities come from the process's live view of device identities (DeviceIdentities.ts), which
 * has seen the log through its head before it answers (so that a device imported a moment ago is
 * found), and every hit is confirmed on the device's own stream, so that the answer is the latest
 * registration data even when the view lags; a decommissioned device is as unknown as one never
 * imported, and an imported one is known only once its import is committed (StagedImports.ts).
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { DeviceIdentities } from '../devices/DeviceIdentities.ts';
import type { DeviceIdentity, DeviceIdentityState, IndexedDeviceField } from '../devices/DeviceIdentities.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { ImportCommits } from '../kernel/ImportCommits.ts';
import { deviceStream } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';

/** A device (`endpoint`) about to take `identity` in `field`. */
export interface DeviceIdentityClaim {
  readonly field: IndexedDeviceField;
  readonly identity: string;
  readonly endpoint: string;
}

export class DeviceIdentityIndex {
  /** Reads a device's stream; its state counts committed staged events, so the runner keeps none of it. */
  readonly #runner: AggregateCommandRunner;
  readonly #identities: DeviceIdentities;
  readonly #fields: ReadonlySet<IndexedDeviceField>;
  readonly #commits: ImportCommits;

  constructor(store: EventStore, fields: readonly IndexedDeviceField[]) {
    this.#runner = new AggregateCommandRunner({ store });
    this.#identities = DeviceIdentities.of(store);
    this.#commits = new ImportCommits(store);
    this.#fields = new Set(fields);
  }

  /** The active device with this endpoint name, from its own stream. */
  async byEndpoint(endpoint: string): Promise<DeviceRegistrationData | undefined> {
    const { state } = await this.#runner.load(deviceStream(endpoint), deviceRegistrationDecider, { counted: this.#commits.counted });
    return state.status === 'active' ? state.registration : undefined;
  }

  /** The active device whose `field` is `identity`. */
  async device(field: IndexedDeviceField, identity: string): Promise<DeviceRegistrationData | undefined> {
    const { endpointOf } = await this.#identities.current();
    return this.#confirmed(field, identity, this.#holder(endpointOf, field, identity));
  }

  /**
   * The identities and sealed keys of the active device whose `field` is `identity`, from the view
   * alone: it has seen the log through its head at the call, so a key a re-import changed, or a device
   * decommissioned, before the call is seen, and no stream is read (a DTLS handshake's key lookup).
   */
  async identity(field: IndexedDeviceField, identity: string): Promise<DeviceIdentity | undefined> {
    const { devices, endpointOf } = await this.#identities.current();
    const holder = this.#holder(endpointOf, field, identity);
    return holder === undefined ? undefined : devices.get(holder);
  }

  /**
   * For each claim, the active device other than the claimant whose `field` is already the claimed
   * identity, or undefined. One wait for the view serves the whole batch (an import checks every row at
   * once), and only a hit on another device is confirmed on that device's stream.
   */
  async otherHolders(claims: readonly DeviceIdentityClaim[]): Promise<(DeviceRegistrationData | undefined)[]> {
    const { endpointOf } = await this.#identities.current();
    const holders: (DeviceRegistrationData | undefined)[] = new Array<DeviceRegistrationData | undefined>(claims.length).fill(undefined);
    // Only the hits wait for a stream read: a first import of 100,000 rows has none among its 400,000 claims.
    const confirmations: Promise<void>[] = [];
    claims.forEach(({ field, identity, endpoint }, index) => {
      const holder = this.#holder(endpointOf, field, identity);
      if (holder === undefined || holder === endpoint) return;
      confirmations.push(
        this.#confirmed(field, identity, holder).then((device) => {
          holders[index] = device;
        }),
      );
    });
    await Promise.all(confirmations);
    return holders;
  }

  #holder(endpointOf: DeviceIdentityState['endpointOf'], field: IndexedDeviceField, identity: string): string | undefined {
    return this.#fields.has(field) ? endpointOf.get(field)?.get(identity) : undefined;
  }

  /** The holder's registration data from its own stream, so that the answer is its latest even if the view lags. */
  async #confirmed(field: IndexedDeviceField, identity: string, holder: string | undefined): Promise<DeviceRegistrationData | undefined> {
    if (holder === undefined) return undefined;
    const device = await this.byEndpoint(holder);
    return device && device[field] === identity ? device : undefined;
  }
}
