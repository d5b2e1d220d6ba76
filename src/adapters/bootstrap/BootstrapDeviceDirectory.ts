/**
 * Finds the device a Bootstrap-Request is for, from the registration data on the `device-<endpoint>`
 * streams: by the endpoint name the client sent, or by its bootstrap identity, the CSV's
 * `external-c8y_BootstrapPskId` (and, over DTLS, the PSK identity of the handshake, which a device may
 * also have as its `bootstrap psk_id`). A decommissioned device is as unknown as one never imported.
 *
 * Identities are indexed in memory, caught up from the log (the device streams only) before each
 * lookup by identity, so that a device imported a moment ago is found without a subscription to run.
 */
import type { EventStore } from '../eventstore/EventStore.ts';
import { loadAggregate, toDomainEvent } from '../eventstore/CommandHandler.ts';
import { deviceStream, deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceEvent, DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';

interface Identities {
  readonly externalBootstrapPskId: string | null;
  readonly bootstrapPskId: string | null;
}

const PAGE = 10_000;

export class BootstrapDeviceDirectory {
  readonly #store: EventStore;
  readonly #identities = new Map<string, Identities>();
  readonly #byExternalId = new Map<string, string>();
  readonly #byBootstrapPskId = new Map<string, string>();
  #position = 0;
  #catchingUp: Promise<void> = Promise.resolve();

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** The active device with this endpoint name. */
  async byEndpoint(endpoint: string): Promise<DeviceRegistrationData | undefined> {
    const { state } = await loadAggregate(this.#store, deviceStream(endpoint), deviceRegistrationDecider);
    return state.status === 'active' ? state.registration : undefined;
  }

  /** The active device whose `external-c8y_BootstrapPskId` is `id`. */
  async byExternalBootstrapPskId(id: string): Promise<DeviceRegistrationData | undefined> {
    await this.#catchUp();
    return this.#confirmed(this.#byExternalId.get(id), (device) => device.externalBootstrapPskId === id);
  }

  /**
   * The active device a DTLS PSK identity belongs to: its `external-c8y_BootstrapPskId`, else its
   * `bootstrap psk_id`.
   */
  async byPskIdentity(identity: string): Promise<DeviceRegistrationData | undefined> {
    const external = await this.byExternalBootstrapPskId(identity);
    if (external) return external;
    return this.#confirmed(this.#byBootstrapPskId.get(identity), (device) => device.bootstrapPskId === identity);
  }

  /** Reads the device's own stream, so that the answer is the latest data even if the index lags. */
  async #confirmed(endpoint: string | undefined, matches: (device: DeviceRegistrationData) => boolean): Promise<DeviceRegistrationData | undefined> {
    if (endpoint === undefined) return undefined;
    const device = await this.byEndpoint(endpoint);
    return device && matches(device) ? device : undefined;
  }

  #catchUp(): Promise<void> {
    // A failed read fails this lookup only; the next one starts again from the same position.
    this.#catchingUp = this.#catchingUp.catch(() => undefined).then(async () => {
      for (;;) {
        const page = await this.#store.readAll({ after: this.#position, maxCount: PAGE, filter: { streamPrefixes: [deviceStreamPrefix] } });
        for (const recorded of page) {
          this.#apply(toDomainEvent<DeviceEvent>(recorded));
          this.#position = recorded.position;
        }
        if (page.length < PAGE) return;
      }
    });
    return this.#catchingUp;
  }

  #apply(event: DeviceEvent): void {
    switch (event.type) {
      case 'DeviceRegistrationImported': {
        const { endpoint, externalBootstrapPskId, bootstrapPskId } = event.data.registration;
        this.#set(endpoint, { externalBootstrapPskId, bootstrapPskId });
        return;
      }
      case 'DeviceRegistrationUpdated': {
        const current = this.#identities.get(event.data.endpoint);
        if (current === undefined) return;
        const { changes } = event.data;
        this.#set(event.data.endpoint, {
          externalBootstrapPskId: changes.externalBootstrapPskId === undefined ? current.externalBootstrapPskId : changes.externalBootstrapPskId,
          bootstrapPskId: changes.bootstrapPskId === undefined ? current.bootstrapPskId : changes.bootstrapPskId,
        });
        return;
      }
      case 'DeviceDecommissioned':
        this.#unset(event.data.endpoint);
        return;
    }
  }

  #set(endpoint: string, identities: Identities): void {
    this.#unset(endpoint);
    this.#identities.set(endpoint, identities);
    if (identities.externalBootstrapPskId !== null) this.#byExternalId.set(identities.externalBootstrapPskId, endpoint);
    if (identities.bootstrapPskId !== null) this.#byBootstrapPskId.set(identities.bootstrapPskId, endpoint);
  }

  #unset(endpoint: string): void {
    const previous = this.#identities.get(endpoint);
    if (previous === undefined) return;
    this.#identities.delete(endpoint);
    if (previous.externalBootstrapPskId !== null && this.#byExternalId.get(previous.externalBootstrapPskId) === endpoint) this.#byExternalId.delete(previous.externalBootstrapPskId);
    if (previous.bootstrapPskId !== null && this.#byBootstrapPskId.get(previous.bootstrapPskId) === endpoint) this.#byBootstrapPskId.delete(previous.bootstrapPskId);
  }
}
