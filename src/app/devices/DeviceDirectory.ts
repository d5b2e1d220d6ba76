/**
 * Who may register: the device's registration data from the CSV, as the `device-<endpoint>` streams
 * recorded it (a decommissioned device is as unknown as one never imported, and an imported one is
 * known only once its import is committed: StagedImports.ts).
 *
 * Each device's security mode and PSK identity come from the process's live view of device identities
 * (DeviceIdentities.ts), so that a Register costs no read of the device's stream (BENCHMARKS.md,
 * "Registration"); the view has seen the log through its head before it answers, so that a device
 * imported or decommissioned a moment before is seen at once.
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceAccess } from '../../domain/registration/RegistrationDecider.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';
import { DeviceIdentities } from './DeviceIdentities.ts';

export interface DeviceDirectory {
  lookup(endpoint: string): Promise<DeviceAccess | undefined>;
}

export class EventStoreDeviceDirectory implements DeviceDirectory {
  readonly #identities: DeviceIdentities;

  /** `feed`: the process's log feed, which the view of device identities then reads through. */
  constructor(store: EventStore, feed?: LogFeed) {
    this.#identities = DeviceIdentities.of(store, feed);
  }

  async lookup(endpoint: string): Promise<DeviceAccess | undefined> {
    const device = await this.#identities.device(endpoint);
    return device && { securityMode: device.securityMode, pskIdentity: device.lwm2mPskId };
  }
}
