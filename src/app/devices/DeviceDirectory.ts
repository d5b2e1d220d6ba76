/**
 * Who may register: the device's registration data from the CSV, as the `device-<endpoint>` streams
 * recorded it (a decommissioned device is as unknown as one never imported, and an imported one is
 * known only once its import is committed: StagedImports.ts).
 *
 * Each device's security mode and PSK identity are kept in memory, folded from the device events the
 * same way as the device decider's `evolve`, so that a Register costs no read of the device's stream
 * (BENCHMARKS.md, "Registration"). Before each lookup the directory catches up with the log up to its
 * head, so that a device imported or decommissioned a moment before is seen at once. Lookups that
 * arrive while a catch-up runs share the next one: a busy server reads the log once per batch of
 * Registers, and only the events appended since the last batch.
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { committedDeviceEvents } from './DeviceImportCommits.ts';
import type { DeviceEvent, DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceAccess } from '../../domain/registration/RegistrationDecider.ts';

export interface DeviceDirectory {
  lookup(endpoint: string): Promise<DeviceAccess | undefined>;
}

/** What registration needs of one device, and whether it is active (imported, not decommissioned). */
interface DeviceEntry {
  readonly active: boolean;
  readonly access: DeviceAccess;
}

const PAGE = 10_000;

/** NO_SEC devices without a PSK identity all share one entry per status, to keep a large fleet small. */
const sharedEntries = new Map<string, DeviceEntry>();

function entryOf(active: boolean, access: DeviceAccess): DeviceEntry {
  if (access.pskIdentity !== null) return { active, access };
  const key = `${String(active)}/${access.securityMode}`;
  let entry = sharedEntries.get(key);
  if (!entry) {
    entry = { active, access: { securityMode: access.securityMode, pskIdentity: null } };
    sharedEntries.set(key, entry);
  }
  return entry;
}

function accessOf(registration: Pick<DeviceRegistrationData, 'securityMode' | 'lwm2mPskId'>): DeviceAccess {
  return { securityMode: registration.securityMode, pskIdentity: registration.lwm2mPskId };
}

export class EventStoreDeviceDirectory implements DeviceDirectory {
  readonly #store: EventStore;
  readonly #devices = new Map<string, DeviceEntry>();
  #position = 0;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(store: EventStore) {
    this.#store = store;
  }

  async lookup(endpoint: string): Promise<DeviceAccess | undefined> {
    await this.#catchUp();
    const entry = this.#devices.get(endpoint);
    return entry?.active ? entry.access : undefined;
  }

  /**
   * Resolves once the directory has read every device event up to a head taken after this call: a
   * catch-up already running may have read its head before the caller's device event was appended,
   * so the caller waits for the one after it, which every caller arriving meanwhile shares.
   */
  #catchUp(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#running) {
      const running = this.#read().finally(() => {
        if (this.#running === running) this.#running = undefined;
      });
      this.#running = running;
      return running;
    }
    // A failed read fails its own lookups only; the next catch-up starts again from the same position.
    const next = this.#running.catch(() => undefined).then(() => {
      this.#next = undefined;
      return this.#catchUp();
    });
    this.#next = next;
    return next;
  }

  async #read(): Promise<void> {
    const head = await this.#store.headPosition();
    if (head <= this.#position) return;
    for await (const { endpoint, event, through } of committedDeviceEvents(this.#store, this.#position, PAGE)) {
      this.#apply(endpoint, event);
      this.#position = through;
    }
    // Moving past the other streams' events too keeps the next catch-up from scanning them again.
    this.#position = Math.max(this.#position, head);
  }

  /** The device decider's `evolve` (DeviceRegistrationDecider.ts), kept to the fields registration uses. */
  #apply(endpoint: string, event: DeviceEvent): void {
    const current = this.#devices.get(endpoint);
    switch (event.type) {
      case 'DeviceRegistrationImported':
        this.#devices.set(endpoint, entryOf(true, accessOf(event.data.registration)));
        break;
      case 'DeviceRegistrationUpdated': {
        if (!current) break;
        const { securityMode, lwm2mPskId } = event.data.changes;
        if (securityMode === undefined && lwm2mPskId === undefined) break;
        const access = { securityMode: securityMode ?? current.access.securityMode, pskIdentity: lwm2mPskId === undefined ? current.access.pskIdentity : lwm2mPskId };
        this.#devices.set(endpoint, entryOf(current.active, access));
        break;
      }
      case 'DeviceDecommissioned':
        if (current) this.#devices.set(endpoint, entryOf(false, current.access));
        break;
    }
  }
}
