/**
 * Who may register: the device's registration data from the CSV, read from its `device-<endpoint>`
 * stream with the device decider, so that registration sees exactly what the import recorded
 * (a decommissioned device is as unknown as one never imported).
 */
import type { EventStore } from '../eventstore/EventStore.ts';
import { loadAggregate } from '../eventstore/CommandHandler.ts';
import { deviceStream } from '../../domain/devices/DeviceEvents.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';
import type { DeviceAccess } from '../../domain/registration/RegistrationDecider.ts';

export interface DeviceDirectory {
  lookup(endpoint: string): Promise<DeviceAccess | undefined>;
}

export class EventStoreDeviceDirectory implements DeviceDirectory {
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  async lookup(endpoint: string): Promise<DeviceAccess | undefined> {
    const { state } = await loadAggregate(this.#store, deviceStream(endpoint), deviceRegistrationDecider);
    if (state.status !== 'active') return undefined;
    return { securityMode: state.registration.securityMode, pskIdentity: state.registration.lwm2mPskId };
  }
}
