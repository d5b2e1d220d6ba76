/**
 * Which device a DTLS PSK identity on the LwM2M server's port belongs to: the CSV's `lwm2m psk_id`,
 * looked up in the device identity index (caught up before each lookup, confirmed on the device's own
 * stream; a decommissioned device is as unknown as one never imported). The handshake's key lookup
 * takes the keys from the caught-up view without that confirmation: it needs no more than the view
 * holds, and runs once per handshake.
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceIdentity } from '../devices/DeviceIdentities.ts';
import { DeviceIdentityIndex } from './DeviceIdentityIndex.ts';

export class Lwm2mPskIdentityIndex {
  readonly #index: DeviceIdentityIndex;

  constructor(store: EventStore) {
    this.#index = new DeviceIdentityIndex(store, ['lwm2mPskId']);
  }

  /** The active device whose `lwm2m psk_id` is `identity`. */
  device(identity: string): Promise<DeviceRegistrationData | undefined> {
    return this.#index.device('lwm2mPskId', identity);
  }

  /** The security mode and sealed keys of the active device whose `lwm2m psk_id` is `identity`, from the identity view alone. */
  keys(identity: string): Promise<DeviceIdentity | undefined> {
    return this.#index.identity('lwm2mPskId', identity);
  }
}
