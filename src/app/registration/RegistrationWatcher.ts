/**
 * Follows registration events live and tells device management what they mean: a Register or an Update
 * makes the device reachable (its pending operations go out); a new registration ends the observations
 * of the old one, and de-registration or expiry ends them all (LwM2M Core 1.1 section 6.2.1). It is also
 * the one live feed of new registrations for whoever follows a device through a restart (firmware
 * updates): one subscription for all of them, whatever their number.
 */
import type { EventStore, Subscription } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { RegistrationEvent, RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import { ListenersByEndpoint } from '../observations/ListenersByEndpoint.ts';
import type { ObservationManager } from '../observations/ObservationManager.ts';
import type { OperationDispatcher } from '../operations/OperationDispatcher.ts';

export type RegistrationListener = (registration: RegistrationRecord) => void;

/** Tells of each new registration (Register) of a device, once the observations of the former one have ended. */
export interface RegistrationFeed {
  /** Returns the unsubscribe. */
  onDeviceRegistered(endpoint: string, listener: RegistrationListener): () => void;
}

export class RegistrationWatcher implements RegistrationFeed {
  readonly #subscription: Subscription;
  readonly #done: Promise<void>;
  readonly #listeners = new ListenersByEndpoint<RegistrationListener>();

  private constructor(subscription: Subscription, dispatcher: OperationDispatcher, observations: ObservationManager, logger: Logger) {
    this.#subscription = subscription;
    this.#done = this.#follow(dispatcher, observations, logger);
  }

  /** Follows the registration events appended from now on. */
  static async start(store: EventStore, dispatcher: OperationDispatcher, observations: ObservationManager, logger: Logger): Promise<RegistrationWatcher> {
    const subscription = store.subscribeToAll({
      after: await store.headPosition(),
      filter: { streamPrefixes: [registrationStreamPrefix], eventTypes: ['DeviceRegistered', 'RegistrationUpdated', 'DeviceDeregistered', 'RegistrationExpired'] },
    });
    return new RegistrationWatcher(subscription, dispatcher, observations, logger);
  }

  async #follow(dispatcher: OperationDispatcher, observations: ObservationManager, logger: Logger): Promise<void> {
    for await (const recorded of this.#subscription) {
      const event = toDomainEvent<RegistrationEvent>(recorded);
      try {
        switch (event.type) {
          case 'DeviceRegistered':
            await observations.registrationChanged(event.data.registration.endpoint, event.data.registration.registrationId);
            dispatcher.deviceReachable(event.data.registration.endpoint);
            for (const listener of this.#listeners.of(event.data.registration.endpoint)) listener(event.data.registration);
            break;
          case 'RegistrationUpdated':
            dispatcher.deviceReachable(event.data.endpoint);
            break;
          case 'DeviceDeregistered':
          case 'RegistrationExpired':
            await observations.registrationChanged(event.data.endpoint, null);
            break;
          case 'RegistrationRejected':
            break;
        }
      } catch (error) {
        logger.error({ err: error, event: recorded.type, stream: recorded.stream }, 'registration event handling failed');
      }
    }
  }

  onDeviceRegistered(endpoint: string, listener: RegistrationListener): () => void {
    return this.#listeners.add(endpoint, listener);
  }

  async close(): Promise<void> {
    await this.#subscription.close();
    await this.#done;
  }
}
