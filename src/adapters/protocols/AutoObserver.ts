/**
 * Auto-observe (the guide's "Adding additional functionalities to a resource"): whenever a device
 * registers, the server observes each resource whose device protocol has Auto-observe set, in every
 * instance the device announced, with the protocol version it registered with (`ver`). A new
 * registration ends the observations of the old one (LwM2M Core 1.1 section 6.2.1), so they are
 * requested again on every Register; an Update keeps them and asks nothing.
 *
 * Each observation is a queued operation like any other (requested by `system:auto-observe`, under
 * the registration's event id as correlation id), so it is delivered when the device is reachable
 * and shows in the device's operations.
 */
import type { RegistrationEvent } from '../../domain/registration/RegistrationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import type { DeviceProtocolService } from '../ddf/DeviceProtocolService.ts';
import { toDomainEvent } from '../eventstore/CommandHandler.ts';
import type { EventStore, Subscription } from '../eventstore/EventStore.ts';
import type { DeviceManagementApi } from '../lwm2m/DeviceManagementApi.ts';
import type { Logger } from '../logging/Logger.ts';

export const autoObserveActor = 'system:auto-observe';

export interface AutoObserverOptions {
  readonly store: EventStore;
  readonly protocols: DeviceProtocolService;
  readonly deviceManagement: Pick<DeviceManagementApi, 'requestOperation'>;
  readonly logger: Logger;
}

export class AutoObserver {
  readonly #subscription: Subscription;
  readonly #done: Promise<void>;

  private constructor(subscription: Subscription, options: AutoObserverOptions) {
    this.#subscription = subscription;
    this.#done = this.#follow(options);
  }

  /** Follows the registrations made from now on. */
  static async start(options: AutoObserverOptions): Promise<AutoObserver> {
    const subscription = options.store.subscribeToAll({
      after: await options.store.headPosition(),
      filter: { streamPrefixes: [registrationStreamPrefix], eventTypes: ['DeviceRegistered'] },
    });
    return new AutoObserver(subscription, options);
  }

  async #follow(options: AutoObserverOptions): Promise<void> {
    const logger = options.logger.child({ component: 'auto-observe' });
    for await (const recorded of this.#subscription) {
      const event = toDomainEvent<RegistrationEvent>(recorded);
      if (event.type !== 'DeviceRegistered') continue;
      const { endpoint, objectLinks } = event.data.registration;
      try {
        for (const link of objectLinks.objects) {
          // An object link without an instance announces the object only: there is no resource to observe yet.
          if (link.instanceId === null) continue;
          for (const resourceId of await options.protocols.autoObservedResources(link.objectId, link.version)) {
            const path = `/${link.objectId}/${link.instanceId}/${resourceId}`;
            await options.deviceManagement.requestOperation(endpoint, { kind: 'observe', paths: [path], content: null }, autoObserveActor, recorded.id);
            logger.info({ endpoint, path }, 'auto-observe requested');
          }
        }
      } catch (error) {
        logger.error({ err: error, endpoint }, 'auto-observe failed');
      }
    }
  }

  async close(): Promise<void> {
    await this.#subscription.close();
    await this.#done;
  }
}
