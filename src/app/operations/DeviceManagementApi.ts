/**
 * The application API of device management, for the GraphQL layer: request and cancel operations,
 * read a device's operations and latest resource values, and hear of changes (`operationUpdated`,
 * `resourceValues(endpoint, pathPrefix)`) as the projector commits them, so that a subscriber sees
 * exactly what the queries then return; and hear of a device's new registrations, live.
 */
import type { OperationSpec } from '../../domain/operations/OperationEvents.ts';
import type { ResourceValuesReported } from '../../domain/observations/ResourceValueEvents.ts';
import { isPathPrefix, parsePath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { LwM2mPath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { Projector } from '../../projections/Projector.ts';
import type { DatabaseSync } from 'node:sqlite';
import { OperationQueries } from '../../projections/operations/OperationQueries.ts';
import type { OperationView } from '../../projections/operations/OperationQueries.ts';
import { operationsProjection } from '../../projections/operations/OperationsProjection.ts';
import { ResourceQueries } from '../../projections/resources/ResourceQueries.ts';
import type { ResourceValueView } from '../../projections/resources/ResourceQueries.ts';
import { resourcesProjection } from '../../projections/resources/ResourcesProjection.ts';
import type { DeviceManagement } from './DeviceManagement.ts';
import { ListenersByEndpoint } from '../observations/ListenersByEndpoint.ts';
import type { OperationDispatcher, RequestedOperation } from './OperationDispatcher.ts';
import type { RegistrationFeed, RegistrationListener } from '../registration/RegistrationWatcher.ts';

export interface DeviceManagementApiOptions {
  readonly dispatcher: OperationDispatcher;
  readonly operations: OperationQueries;
  readonly resources: ResourceQueries;
  readonly projector: Projector;
  readonly registrations: RegistrationFeed;
}

interface ResourceListener {
  readonly prefix: LwM2mPath | undefined;
  readonly listener: (values: readonly ResourceValueView[]) => void;
}

export class DeviceManagementApi {
  readonly #options: DeviceManagementApiOptions;
  readonly #resourceListeners = new ListenersByEndpoint<ResourceListener>();
  #unsubscribeResources: (() => void) | undefined;

  constructor(options: DeviceManagementApiOptions) {
    this.#options = options;
  }

  /** The API over running device management and the read models' database, as the service wires it. */
  static over(management: DeviceManagement, db: DatabaseSync, projector: Projector): DeviceManagementApi {
    return new DeviceManagementApi({
      dispatcher: management.dispatcher,
      operations: new OperationQueries(db),
      resources: new ResourceQueries(db),
      projector,
      registrations: management.registrationFeed,
    });
  }

  /** Queues the operation (throws DomainError BAD_USER_INPUT, or LIMIT_EXCEEDED when the queue is full); returns its id and the position of its request. */
  requestOperation(endpoint: string, operation: OperationSpec, actor: string, correlationId: string): Promise<RequestedOperation> {
    return this.#options.dispatcher.requestOperation(endpoint, operation, actor, correlationId);
  }

  /** Returns the position of the cancellation (undefined when nothing changed). */
  cancelOperation(endpoint: string, operationId: string, actor: string, reason: string | null): Promise<{ readonly position: number | undefined }> {
    return this.#options.dispatcher.cancelOperation(endpoint, operationId, actor, reason);
  }

  operations(endpoint: string): readonly OperationView[] {
    return this.#options.operations.operations(endpoint);
  }

  /** The device's newest `limit` operations, oldest of them first: what a console follows. */
  latestOperations(endpoint: string, limit: number): readonly OperationView[] {
    return this.#options.operations.latestOperations(endpoint, limit);
  }

  operation(operationId: string): OperationView | undefined {
    return this.#options.operations.operation(operationId);
  }

  resources(endpoint: string, pathPrefix = '/'): readonly ResourceValueView[] {
    return this.#options.resources.resources(endpoint, pathPrefix);
  }

  /** Every change of an operation's state, as the read model has it after the change. Returns the unsubscribe. */
  onOperationUpdated(listener: (operation: OperationView) => void): () => void {
    return this.#options.projector.onProjected(({ projection, event }) => {
      if (projection !== operationsProjection.name) return;
      const data = event.data;
      const operationId = data !== null && typeof data === 'object' && !Array.isArray(data) ? data['operationId'] : undefined;
      if (typeof operationId !== 'string') return;
      const view = this.#options.operations.operation(operationId);
      if (view) listener(view);
    });
  }

  /**
   * Each new registration (Register) of the device, once the observations of the former one have ended:
   * a device that restarted must be observed again. Returns the unsubscribe.
   */
  onDeviceRegistered(endpoint: string, listener: RegistrationListener): () => void {
    return this.#options.registrations.onDeviceRegistered(endpoint, listener);
  }

  /** Each new value of the device at or under `pathPrefix` ("/" for all). Returns the unsubscribe. */
  onResourceValues(endpoint: string, pathPrefix: string, listener: (values: readonly ResourceValueView[]) => void): () => void {
    const prefix = pathPrefix === '/' ? undefined : parsePath(pathPrefix);
    const entry: ResourceListener = { prefix, listener };
    // One projector listener for every subscriber, dispatching by endpoint: a fleet's subscriptions
    // must not make each committed event visit every subscriber.
    this.#unsubscribeResources ??= this.#options.projector.onProjected(({ projection, event }) => {
      if (projection === resourcesProjection.name) this.#dispatchResources(event.data as unknown as ResourceValuesReported);
    });
    return this.#resourceListeners.add(endpoint, entry);
  }

  #dispatchResources(data: ResourceValuesReported): void {
    for (const { prefix, listener } of this.#resourceListeners.of(data.endpoint)) {
      const values = data.values
        .filter((value) => prefix === undefined || isPathPrefix(prefix, parsePath(value.path)))
        .map((value) => ({ path: value.path, type: value.value.type, text: value.value.text, time: new Date(value.time ?? data.receivedAt), deviceTime: value.time !== null, source: data.source }));
      if (values.length > 0) listener(values);
    }
  }
}
