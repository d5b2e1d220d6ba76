/**
 * Follows registration events live and tells device management what they mean: a Register or an Update
 * makes the device reachable (its pending operations go out); a new registration ends the observations
 * of the old one, and de-registration or expiry ends them all (LwM2M Core 1.1 section 6.2.1). It is also
 * the one live feed of new registrations for whoever follows a device through a restart (firmware
 * updates): one member of the log feed for all of them, whatever their number.
 *
 * Several nodes may share the event store, and each watcher sees every node's registrations. A Register
 * or Update concerns delivery on the node holding the registration only; on the others, the device is
 * held elsewhere now: they stop sending to it and forget what they kept of it in memory. The node that
 * took the Register ends the former registration's observations; a de-registration or an expiry ends
 * them on whichever node sees it first (the others then find nothing to end).
 */
import type { EventFilter, EventStore, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { RegistrationEvent, RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import type { FeedMember, LogFeed } from '../kernel/LogFeed.ts';
import { LogFeedStopped } from '../kernel/LogFeed.ts';
import { ListenersByEndpoint } from '../observations/ListenersByEndpoint.ts';
import type { ObservationManager } from '../observations/ObservationManager.ts';
import type { OperationDispatcher } from '../operations/OperationDispatcher.ts';

export type RegistrationListener = (registration: RegistrationRecord) => void;

/** Tells of each new registration (Register) of a device, once the observations of the former one have ended. */
export interface RegistrationFeed {
  /** Returns the unsubscribe. */
  onDeviceRegistered(endpoint: string, listener: RegistrationListener): () => void;
}

export interface RegistrationWatcherOptions {
  /** Where the log's head is read at start: the watcher follows what is appended after it. */
  readonly store: EventStore;
  readonly feed: LogFeed;
  readonly dispatcher: OperationDispatcher;
  readonly observations: ObservationManager;
  readonly logger: Logger;
}

/**
 * A member of the process's log feed. The feed hands events over synchronously; they are handled one
 * after the other, in log order, on a promise chain (a registration change waits for the observations
 * to end).
 */
export class RegistrationWatcher implements RegistrationFeed, FeedMember {
  readonly filter: EventFilter = {
    streamPrefixes: [registrationStreamPrefix],
    eventTypes: ['DeviceRegistered', 'RegistrationUpdated', 'DeviceDeregistered', 'RegistrationExpired'],
  };
  readonly #options: RegistrationWatcherOptions;
  readonly #listeners = new ListenersByEndpoint<RegistrationListener>();
  /** The events handed over and not yet handled. */
  #handled: Promise<void> = Promise.resolve();

  private constructor(options: RegistrationWatcherOptions) {
    this.#options = options;
  }

  /** Follows the registration events appended from now on. */
  static async start(options: RegistrationWatcherOptions): Promise<RegistrationWatcher> {
    const watcher = new RegistrationWatcher(options);
    await options.feed.join(watcher, await options.store.headPosition());
    return watcher;
  }

  deliver(events: readonly RecordedEvent[]): void {
    if (events.length === 0) return;
    this.#handled = this.#handled.then(async () => {
      for (const recorded of events) await this.#handle(recorded);
    });
  }

  stopped(error: Error): void {
    if (!(error instanceof LogFeedStopped)) this.#options.logger.error({ err: error }, 'registration events no longer followed');
  }

  async #handle(recorded: RecordedEvent): Promise<void> {
    const { dispatcher, observations, logger } = this.#options;
    const event = toDomainEvent<RegistrationEvent>(recorded);
    try {
      switch (event.type) {
        case 'DeviceRegistered': {
          const { endpoint, registrationId } = event.data.registration;
          if (dispatcher.holds(endpoint)) {
            await observations.registrationChanged(endpoint, registrationId);
            dispatcher.deviceReachable(endpoint);
          } else dispatcher.deviceHeldElsewhere(endpoint);
          for (const listener of this.#listeners.of(endpoint)) listener(event.data.registration);
          break;
        }
        case 'RegistrationUpdated':
          // The registration as this Update left it: held here, or (taken over from before node ids) elsewhere.
          if (dispatcher.holds(event.data.endpoint)) dispatcher.deviceReachable(event.data.endpoint);
          else if (event.data.nodeId !== undefined) dispatcher.deviceHeldElsewhere(event.data.endpoint);
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

  onDeviceRegistered(endpoint: string, listener: RegistrationListener): () => void {
    return this.#listeners.add(endpoint, listener);
  }

  /** Leaves the feed, once the events already handed over are handled. */
  async close(): Promise<void> {
    this.#options.feed.leave(this);
    await this.#handled;
  }
}
