/**
 * Auto-observe (the guide's "Adding additional functionalities to a resource"): whenever a device
 * registers, the server observes each resource whose device protocol has Auto-observe set, in every
 * instance the device announced, with the protocol version it registered with (`ver`). A new
 * registration ends the observations of the old one (LwM2M Core 1.1 section 6.2.1), so they are
 * requested again on every Register; an Update keeps them and asks nothing.
 *
 * Issue 7 also asks for them "again after the service restarts for devices still registered": at
 * start, every current registration is caught up. Observations are events, and their tokens are known
 * again after a restart, so only what is missing is requested: a resource with an established
 * observation, or an Observe still queued (pending or in flight), is left alone.
 *
 * The guide says that with Auto-observe on, "the LwM2M server observes" the resource: a standing rule,
 * not only a step of Register. So setting Auto-observe on a resource also observes it, the same way
 * (only what is missing), on every device registered now that announced an instance of its object.
 *
 * Several nodes may share the event store: each observes only the devices whose registration it
 * holds (the node they registered with, which alone sends them requests), so that a registration
 * followed by every node is observed once, and a device that registers again on another node is
 * observed again by that node (observation tokens are the sending node's).
 *
 * Each observation is a queued operation like any other (requested by `system:auto-observe`, under
 * the causing event's id as correlation id, or the registration id when caught up at start), so
 * it is delivered when the device is reachable and shows in the device's operations.
 */
import type { RegisteredObjects } from '../../domain/registration/ObjectLinks.ts';
import type { RegistrationEvent, RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { isHeldBy, registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import type { OperationEvent } from '../../domain/operations/OperationEvents.ts';
import { operationStream } from '../../domain/operations/OperationEvents.ts';
import type { QueuedOperation } from '../../domain/operations/OperationQueueDecider.ts';
import { operationQueueDecider } from '../../domain/operations/OperationQueueDecider.ts';
import type { DeviceProtocolEvent } from '../../domain/protocols/DeviceProtocolEvents.ts';
import { protocolStreamPrefix } from '../../domain/protocols/DeviceProtocolEvents.ts';
import type { DeviceProtocolService } from './DeviceProtocolService.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { EventFilter, EventStore, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceManagementApi } from '../operations/DeviceManagementApi.ts';
import type { ObservationManager } from '../observations/ObservationManager.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { FeedMember, LogFeed } from '../kernel/LogFeed.ts';

export const autoObserveActor = 'system:auto-observe';

export interface AutoObserverOptions {
  readonly store: EventStore;
  /** This node's id: only the registrations it holds are observed (absent: a node alone, which holds them all). */
  readonly nodeId?: string;
  /** The process's log feed: registrations and Auto-observe settings are followed as members of it. */
  readonly feed: LogFeed;
  readonly protocols: DeviceProtocolService;
  readonly deviceManagement: Pick<DeviceManagementApi, 'requestOperation'>;
  /** The current registrations: at start, and when Auto-observe is set on a resource. */
  readonly registrations: { registrations(): readonly RegistrationRecord[] };
  /** The established observations (rebuilt from the log), so that none is requested twice. */
  readonly observations: Pick<ObservationManager, 'tokenOf'>;
  readonly logger: Logger;
}

export class AutoObserver implements FeedMember {
  readonly filter: EventFilter = { streamPrefixes: [registrationStreamPrefix, protocolStreamPrefix], eventTypes: ['DeviceRegistered', 'ResourceFunctionalitySet'] };
  readonly #options: AutoObserverOptions;
  readonly #logger: Logger;
  /** The events delivered, handled one after another in log order (each awaits its requests). */
  #work: Promise<void> = Promise.resolve();
  #registeredAtStartObserved: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(options: AutoObserverOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'auto-observe' });
  }

  /**
   * Follows the registrations and Auto-observe settings made from now on, and catches up (in the
   * background) the registrations made before.
   */
  static async start(options: AutoObserverOptions): Promise<AutoObserver> {
    const observer = new AutoObserver(options);
    await options.feed.join(observer, await options.store.headPosition());
    observer.#registeredAtStartObserved = observer.#observeCurrentRegistrations(observer.#heldRegistrations());
    return observer;
  }

  deliver(events: readonly RecordedEvent[]): void {
    for (const recorded of events) {
      this.#work = this.#work.then(() => this.#handle(recorded)).catch((error: unknown) => {
        this.#logger.error({ err: error }, 'auto-observe failed');
      });
    }
  }

  stopped(error: Error): void {
    if (!this.#closed) this.#logger.warn({ err: error }, 'auto-observe no longer follows the registrations: the log feed stopped');
  }

  async #handle(recorded: RecordedEvent): Promise<void> {
    if (this.#closed) return;
    const event = toDomainEvent<RegistrationEvent | DeviceProtocolEvent>(recorded);
    if (event.type === 'ResourceFunctionalitySet' && event.data.functionality.kind === 'autoObserve') {
      const { objectId } = event.data;
      const announcing = this.#heldRegistrations().filter((registration) => registration.objectLinks.objects.some((link) => link.objectId === objectId));
      await this.#observeMissing(announcing, () => recorded.id);
      return;
    }
    if (event.type !== 'DeviceRegistered' || !isHeldBy(event.data.registration, this.#options.nodeId)) return;
    const { endpoint, objectLinks } = event.data.registration;
    try {
      for (const path of await this.#autoObservedPaths(objectLinks)) await this.#observe(endpoint, path, recorded.id);
    } catch (error) {
      this.#logger.error({ err: error, endpoint }, 'auto-observe failed');
    }
  }

  #heldRegistrations(): RegistrationRecord[] {
    return this.#options.registrations.registrations().filter((registration) => isHeldBy(registration, this.#options.nodeId));
  }

  async #observeCurrentRegistrations(registrations: readonly RegistrationRecord[]): Promise<void> {
    const requested = await this.#observeMissing(registrations, (registration) => registration.registrationId);
    this.#logger.info({ registrations: registrations.length, requested }, 'auto-observe caught up after start');
  }

  /** Requests the Auto-observe resources of each registration that are neither observed nor queued; returns how many. */
  async #observeMissing(registrations: readonly RegistrationRecord[], correlationOf: (registration: RegistrationRecord) => string): Promise<number> {
    let requested = 0;
    for (const registration of registrations) {
      if (this.#closed) break;
      const { endpoint, objectLinks } = registration;
      try {
        const paths = (await this.#autoObservedPaths(objectLinks)).filter((path) => this.#options.observations.tokenOf(endpoint, [path]) === undefined);
        if (paths.length === 0) continue;
        const queued = await this.#queuedOperations(endpoint);
        for (const path of paths) {
          if (queued.some(({ operation }) => operation.kind === 'observe' && operation.paths.length === 1 && operation.paths[0] === path)) continue;
          await this.#observe(endpoint, path, correlationOf(registration));
          requested++;
        }
      } catch (error) {
        this.#logger.error({ err: error, endpoint }, 'auto-observe failed');
      }
    }
    return requested;
  }

  async #autoObservedPaths(objectLinks: RegisteredObjects): Promise<string[]> {
    const paths: string[] = [];
    for (const link of objectLinks.objects) {
      // An object link without an instance announces the object only: there is no resource to observe yet.
      if (link.instanceId === null) continue;
      for (const resourceId of await this.#options.protocols.autoObservedResources(link.objectId, link.version)) paths.push(`/${link.objectId}/${link.instanceId}/${resourceId}`);
    }
    return paths;
  }

  /** The operations still waiting or in flight for the device, from its operations stream. */
  async #queuedOperations(endpoint: string): Promise<readonly QueuedOperation[]> {
    const read = await this.#options.store.readStream(operationStream(endpoint));
    if (read.status !== 'found') return [];
    const decider = operationQueueDecider();
    let state = decider.initialState;
    for (const recorded of read.events) state = decider.evolve(state, toDomainEvent<OperationEvent>(recorded));
    return state.inFlight ? [...state.pending, state.inFlight] : state.pending;
  }

  async #observe(endpoint: string, path: string, correlationId: string): Promise<void> {
    await this.#options.deviceManagement.requestOperation(endpoint, { kind: 'observe', paths: [path], content: null }, autoObserveActor, correlationId);
    this.#logger.info({ endpoint, path }, 'auto-observe requested');
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#options.feed.leave(this);
    await this.#work;
    await this.#registeredAtStartObserved;
  }
}
