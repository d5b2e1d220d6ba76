/**
 * Turns the values a device sent (read responses, notifications, Send) into stored telemetry: applies
 * the mapping policy with the protocol versions the device registered with, appends the decided
 * events to `telemetry-<endpoint>` and runs the alarm commands on `alarms-<endpoint>`. Also the
 * acknowledge and clear commands of alarms.
 */
import type { Clock } from '../../domain/Clock.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { PathValue } from '../../domain/lwm2m/LwM2mValue.ts';
import type { AlarmCommand } from '../../domain/telemetry/AlarmDecider.ts';
import { alarmDecider } from '../../domain/telemetry/AlarmDecider.ts';
import type { AlarmEvent } from '../../domain/telemetry/AlarmEvents.ts';
import { alarmEndpoint, alarmStream } from '../../domain/telemetry/AlarmEvents.ts';
import type { DeviceProtocolMapping } from '../../domain/telemetry/MappingPolicy.ts';
import { mapReceivedValues } from '../../domain/telemetry/MappingPolicy.ts';
import type { TelemetryEvent } from '../../domain/telemetry/TelemetryEvents.ts';
import { telemetryStream } from '../../domain/telemetry/TelemetryEvents.ts';
import type { DeviceProtocolService, RequestContext } from '../ddf/DeviceProtocolService.ts';
import { handleCommand } from '../eventstore/CommandHandler.ts';
import type { EventMetadata, EventStore } from '../eventstore/EventStore.ts';

export interface ReceivedValuesRequest {
  readonly endpoint: string;
  readonly values: readonly PathValue[];
  /** Per object id, the version the device registered with (`ver` in its object links); an absent object is 1.0. */
  readonly objectVersions?: ReadonlyMap<number, string | null>;
  /** When the server received the message; the clock's now when absent. */
  readonly receivedAt?: Date;
  /** Ties the stored events to the message (e.g. the CoAP exchange) that carried the values. */
  readonly correlationId?: string;
}

export interface RecordedTelemetry {
  readonly telemetry: readonly TelemetryEvent[];
  readonly alarms: readonly AlarmEvent[];
  /** The global position of the last event appended; undefined when nothing was. */
  readonly position: number | undefined;
}

export interface AlarmChange {
  readonly alarmId: string;
  readonly changed: boolean;
  readonly position: number | undefined;
}

export interface TelemetryServiceOptions {
  readonly store: EventStore;
  readonly protocols: DeviceProtocolService;
  readonly clock: Clock;
}

export class TelemetryService {
  readonly #store: EventStore;
  readonly #protocols: DeviceProtocolService;
  readonly #clock: Clock;

  constructor(options: TelemetryServiceOptions) {
    this.#store = options.store;
    this.#protocols = options.protocols;
    this.#clock = options.clock;
  }

  async recordValues(request: ReceivedValuesRequest): Promise<RecordedTelemetry> {
    const { endpoint } = request;
    const mappings = new Map<number, DeviceProtocolMapping | undefined>();
    for (const { path } of request.values) {
      if (!mappings.has(path.objectId)) mappings.set(path.objectId, await this.#protocols.mappingFor(path.objectId, request.objectVersions?.get(path.objectId)));
    }
    const decision = mapReceivedValues({
      endpoint,
      values: request.values,
      receivedAt: (request.receivedAt ?? this.#clock.now()).toISOString(),
      protocolOf: (objectId) => mappings.get(objectId),
    });
    const metadata: Partial<EventMetadata> = { actor: `device:${endpoint}`, correlationId: request.correlationId, schemaVersion: 1 };
    let position: number | undefined;
    if (decision.telemetry.length > 0) {
      // The telemetry stream is a log of decisions, not a state anything is decided on: no expected revision.
      const appended = await this.#store.appendToStream(
        telemetryStream(endpoint),
        decision.telemetry.map((event) => ({ type: event.type, data: event.data as unknown as JsonValue, metadata })),
        'any',
      );
      position = appended.position;
    }
    const alarms: AlarmEvent[] = [];
    for (const command of decision.alarms) {
      const result = await handleCommand(this.#store, alarmStream(endpoint), alarmDecider, command, { metadata });
      alarms.push(...result.events);
      position = result.position ?? position;
    }
    return { telemetry: decision.telemetry, alarms, position };
  }

  acknowledgeAlarm(alarmId: string, context: RequestContext): Promise<AlarmChange> {
    return this.#alarmCommand(alarmId, { type: 'AcknowledgeAlarm', alarmId, at: this.#clock.now().toISOString() }, context);
  }

  clearAlarm(alarmId: string, context: RequestContext): Promise<AlarmChange> {
    return this.#alarmCommand(alarmId, { type: 'ClearAlarm', alarmId, at: this.#clock.now().toISOString() }, context);
  }

  async #alarmCommand(alarmId: string, command: AlarmCommand, context: RequestContext): Promise<AlarmChange> {
    const endpoint = alarmEndpoint(alarmId);
    if (endpoint === undefined) throw new DomainError('NOT_FOUND', `no alarm ${alarmId}`, { alarmId });
    const result = await handleCommand(this.#store, alarmStream(endpoint), alarmDecider, command, {
      metadata: { actor: context.actor, correlationId: context.correlationId, schemaVersion: 1 },
    });
    return { alarmId, changed: result.events.length > 0, position: result.position };
  }
}
