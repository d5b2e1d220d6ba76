/**
 * Device management and information reporting on one CoAP endpoint (LwM2M Core 1.1 sections 6.3 and
 * 6.4): builds the value recorder, the observation manager, the device presence, the operation queues,
 * the downlink sender, the operation dispatcher, the Send receiver and the registration watcher, which
 * share the presence and the recorder. It sends through the endpoint and wires nothing on it: the
 * composition root routes Send (`/dp`) to `send` and the responses that match no request (notifications)
 * to `observations.onUnsolicited`.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import type { OperationQueuePolicy } from '../../domain/operations/OperationQueueDecider.ts';
import type { CoapEndpoint, CoapRequestHandler } from '../../adapters/coap/CoapEndpoint.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';
import { ObservationManager } from '../observations/ObservationManager.ts';
import type { ContentSources } from '../observations/ContentReferences.ts';
import { DevicePresence } from './DevicePresence.ts';
import { DownlinkSender } from './DownlinkSender.ts';
import { OperationDispatcher } from './OperationDispatcher.ts';
import { OperationQueues } from './OperationQueues.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import { RegistrationWatcher } from '../registration/RegistrationWatcher.ts';
import type { RegistrationFeed } from '../registration/RegistrationWatcher.ts';
import { ResourceValueRecorder } from '../observations/ResourceValueRecorder.ts';
import type { TelemetrySink } from '../observations/ResourceValueRecorder.ts';
import { SendReceiver } from '../observations/SendReceiver.ts';

export interface DeviceManagementOptions {
  readonly store: EventStore;
  /** The process's one command runner and one reader of the log. */
  readonly runner: AggregateCommandRunner;
  readonly feed: LogFeed;
  readonly endpoint: CoapEndpoint;
  readonly registrations: RegistrationLookup;
  readonly catalog: ObjectModelCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly telemetry?: TelemetrySink;
  readonly policy?: OperationQueuePolicy;
  readonly awakeSeconds?: number;
  /** What writes may refer to instead of holding it: firmware packages, sealed texts. */
  readonly contentSources?: ContentSources;
}

export interface DeviceManagement {
  readonly dispatcher: OperationDispatcher;
  readonly observations: ObservationManager;
  /** Send (LwM2M Core 1.1 section 6.4.6), for the `/dp` route of the endpoint's uplink router. */
  readonly send: CoapRequestHandler;
  /** New registrations, live, for the application API. */
  readonly registrationFeed: RegistrationFeed;
  close(): Promise<void>;
}

export async function startDeviceManagement(options: DeviceManagementOptions): Promise<DeviceManagement> {
  const { store, runner, feed, endpoint, registrations, catalog, clock, logger } = options;
  const recorder = new ResourceValueRecorder({ store, clock, logger, ...(options.telemetry ? { telemetry: options.telemetry } : {}) });
  const presence = new DevicePresence(clock, options.awakeSeconds);
  const observations = await ObservationManager.start({ runner, feed, presence, clock, logger, catalog, registrations, recorder, coap: endpoint });
  const queues = await OperationQueues.open({ runner, feed, logger, ...(options.policy ? { policy: options.policy } : {}) });
  const sender = new DownlinkSender({
    queues,
    endpoint,
    registrations,
    observations,
    presence,
    recorder,
    catalog,
    clock,
    ...(options.contentSources ? { contentSources: options.contentSources } : {}),
  });
  const dispatcher = await OperationDispatcher.start({ queues, sender, presence, registrations, catalog, clock, logger });
  const send = new SendReceiver({ registrations, recorder, catalog, clock, presence });
  const watcher = await RegistrationWatcher.start({ store, feed, dispatcher, observations, logger });
  return {
    dispatcher,
    observations,
    send: (request) => send.handle(request),
    registrationFeed: watcher,
    async close() {
      dispatcher.close();
      await watcher.close();
    },
  };
}
