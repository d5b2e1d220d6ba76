/**
 * Finds the device a Bootstrap-Request is for, from the registration data on the `device-<endpoint>`
 * streams: by the endpoint name the client sent, or by its bootstrap identity, the CSV's
 * `external-c8y_BootstrapPskId` (and, over DTLS, the PSK identity of the handshake, which a device may
 * also have as its `bootstrap psk_id`). A decommissioned device is as unknown as one never imported.
 *
 * The identities come from the device identity index, shared with the LwM2M server's PSK lookup: caught
 * up from the log before each lookup, up to the log's head, so that neither a device imported a moment
 * ago is missed nor the other streams' events are scanned again.
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { DeviceIdentityIndex } from '../security/DeviceIdentityIndex.ts';

export class BootstrapDeviceDirectory {
  readonly #index: DeviceIdentityIndex;

  constructor(store: EventStore) {
    this.#index = new DeviceIdentityIndex(store, ['externalBootstrapPskId', 'bootstrapPskId']);
  }

  /** The active device with this endpoint name. */
  byEndpoint(endpoint: string): Promise<DeviceRegistrationData | undefined> {
    return this.#index.byEndpoint(endpoint);
  }

  /** The active device whose `external-c8y_BootstrapPskId` is `id`. */
  byExternalBootstrapPskId(id: string): Promise<DeviceRegistrationData | undefined> {
    return this.#index.device('externalBootstrapPskId', id);
  }

  /**
   * The active device a DTLS PSK identity belongs to: its `external-c8y_BootstrapPskId`, else its
   * `bootstrap psk_id`.
   */
  async byPskIdentity(identity: string): Promise<DeviceRegistrationData | undefined> {
    return (await this.byExternalBootstrapPskId(identity)) ?? (await this.#index.device('bootstrapPskId', identity));
  }
}
