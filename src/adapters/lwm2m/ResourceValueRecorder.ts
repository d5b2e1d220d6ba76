/**
 * Records the values a device reported (Read responses, notifications, Send): one
 * `ResourceValuesReported` event per message on `resources-<endpoint>`, then the telemetry mapping
 * (measurements, events, alarms) through the telemetry service. A device's messages are recorded in
 * the order they arrived. A failure of the telemetry mapping is logged: the values are stored already.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { PathValue } from '../../domain/lwm2m/LwM2mValue.ts';
import { formatPath } from '../../domain/lwm2m/LwM2mPath.ts';
import { lwm2mValueToJson } from '../../domain/lwm2m/LwM2mValueJson.ts';
import type { ResourceValueSource, ResourceValuesReported } from '../../domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../../domain/observations/ResourceValueEvents.ts';
import type { RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { KeyedSerializer } from '../coap/KeyedSerializer.ts';
import type { EventStore } from '../eventstore/EventStore.ts';
import type { Logger } from '../logging/Logger.ts';
import type { ReceivedValuesRequest } from '../telemetry/TelemetryService.ts';

/** The part of the telemetry service that maps received values (helper 9's `TelemetryService`). */
export interface TelemetrySink {
  recordValues(request: ReceivedValuesRequest): Promise<unknown>;
}

export interface ReportedMessage {
  readonly endpoint: string;
  readonly source: ResourceValueSource;
  readonly values: readonly PathValue[];
  readonly operationId: string | null;
  readonly observationToken: string | null;
  /** The registration, for the object versions the telemetry mapping needs. */
  readonly registration: RegistrationRecord | undefined;
}

export interface ResourceValueRecorderOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly telemetry?: TelemetrySink;
}

export class ResourceValueRecorder {
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #telemetry: TelemetrySink | undefined;
  readonly #order = new KeyedSerializer();

  constructor(options: ResourceValueRecorderOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#telemetry = options.telemetry;
  }

  /** Stores the values; resolves with the event's global position (undefined when there were none). */
  record(message: ReportedMessage): Promise<number | undefined> {
    if (message.values.length === 0) return Promise.resolve(undefined);
    const receivedAt = this.#clock.now();
    return this.#order.run(message.endpoint, async () => {
      const data: ResourceValuesReported = {
        endpoint: message.endpoint,
        source: message.source,
        operationId: message.operationId,
        observationToken: message.observationToken,
        values: message.values.map((entry) => ({
          path: formatPath(entry.path),
          value: lwm2mValueToJson(entry.value),
          time: entry.time === undefined ? null : new Date(entry.time * 1000).toISOString(),
        })),
        receivedAt: receivedAt.toISOString(),
      };
      // A log of what the device said, not a state anything is decided on: no expected revision.
      const appended = await this.#store.appendToStream(
        resourceStream(message.endpoint),
        [{ type: 'ResourceValuesReported', data: data as unknown as JsonValue, metadata: { actor: `device:${message.endpoint}`, schemaVersion: 1 } }],
        'any',
      );
      await this.#mapTelemetry(message, receivedAt);
      return appended.position;
    });
  }

  async #mapTelemetry(message: ReportedMessage, receivedAt: Date): Promise<void> {
    if (!this.#telemetry) return;
    const objectVersions = new Map<number, string | null>();
    for (const link of message.registration?.objectLinks.objects ?? []) if (link.instanceId === null || !objectVersions.has(link.objectId)) objectVersions.set(link.objectId, link.version);
    try {
      await this.#telemetry.recordValues({ endpoint: message.endpoint, values: message.values, objectVersions, receivedAt, ...(message.operationId === null ? {} : { correlationId: message.operationId }) });
    } catch (error) {
      this.#logger.error({ err: error, endpoint: message.endpoint }, 'telemetry mapping of reported values failed');
    }
  }
}
