/**
 * Which device a DTLS PSK identity on the LwM2M server's port belongs to: the CSV's `lwm2m psk_id`.
 * The identities are indexed in memory from the `device-<endpoint>` streams, caught up from the log
 * before each lookup (so that a device imported a moment ago is found without a subscription to run),
 * and every hit is confirmed on the device's own stream, so that the answer is the latest registration
 * data even when the index lags; a decommissioned device is as unknown as one never imported.
 */
import type { EventStore } from '../eventstore/EventStore.ts';
import { loadAggregate, toDomainEvent } from '../eventstore/CommandHandler.ts';
import { deviceStream, deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceEvent, DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';

const PAGE = 10_000;

export class Lwm2mPskIdentityIndex {
  readonly #store: EventStore;
  readonly #identityOf = new Map<string, string>();
  readonly #endpointOf = new Map<string, string>();
  #position = 0;
  #catchingUp: Promise<void> = Promise.resolve();

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** The active device whose `lwm2m psk_id` is `identity`. */
  async device(identity: string): Promise<DeviceRegistrationData | undefined> {
    await this.#catchUp();
    const endpoint = this.#endpointOf.get(identity);
    if (endpoint === undefined) return undefined;
    const { state } = await loadAggregate(this.#store, deviceStream(endpoint), deviceRegistrationDecider);
    return state.status === 'active' && state.registration.lwm2mPskId === identity ? state.registration : undefined;
  }

  #catchUp(): Promise<void> {
    // A failed read fails this lookup only; the next one starts again from the same position.
    this.#catchingUp = this.#catchingUp.catch(() => undefined).then(async () => {
      // Every device event up to the head read first is read below; moving past the other streams'
      // events too keeps each handshake's catch-up from scanning the same telemetry again.
      const head = await this.#store.headPosition();
      for (;;) {
        const page = await this.#store.readAll({ after: this.#position, maxCount: PAGE, filter: { streamPrefixes: [deviceStreamPrefix] } });
        for (const recorded of page) {
          this.#apply(toDomainEvent<DeviceEvent>(recorded));
          this.#position = recorded.position;
        }
        if (page.length < PAGE) break;
      }
      this.#position = Math.max(this.#position, head);
    });
    return this.#catchingUp;
  }

  #apply(event: DeviceEvent): void {
    switch (event.type) {
      case 'DeviceRegistrationImported':
        this.#set(event.data.registration.endpoint, event.data.registration.lwm2mPskId);
        return;
      case 'DeviceRegistrationUpdated':
        if (event.data.changes.lwm2mPskId !== undefined) this.#set(event.data.endpoint, event.data.changes.lwm2mPskId);
        return;
      case 'DeviceDecommissioned':
        this.#set(event.data.endpoint, null);
        return;
    }
  }

  #set(endpoint: string, identity: string | null): void {
    const previous = this.#identityOf.get(endpoint);
    if (previous !== undefined && this.#endpointOf.get(previous) === endpoint) this.#endpointOf.delete(previous);
    this.#identityOf.delete(endpoint);
    if (identity === null) return;
    this.#identityOf.set(endpoint, identity);
    this.#endpointOf.set(identity, endpoint);
  }
}
