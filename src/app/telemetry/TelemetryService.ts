/**
 * Turns the values a device sent (read responses, notifications, Send) into stored telemetry: applies
 * the mapping policy with the protocol versions the device registered with, appends the decided
 * events to `telemetry-<endpoint>` and runs the alarm commands on `alarms-<endpoint>`. Also the
 * acknowledge and clear commands of alarms.
 */
import type { Clock } from '../../domain/Clock.ts';
import { decideAll } from '../../domain/Decider.ts';
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
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import type { DeviceProtocolService, RequestContext } from '../protocols/DeviceProtocolService.ts';
import type { EventMetadata, EventStore } from '../../adapters/eventstore/EventStore.ts';

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
  /** The process's command runner; a service built alone (a test, a benchmark) runs its own. */
  readonly runner?: AggregateCommandRunner;
}

/**
 * The alarm commands of one message, decided in order and appended at once. One decider object for
 * the process: the runner keeps a stream's state for the decider that folded it.
 */
const alarmBatchDecider = decideAll(alarmDecider);

export class TelemetryService {
  readonly #store: EventStore;
  readonly #protocols: DeviceProtocolService;
  readonly #clock: Clock;
  readonly #runner: AggregateCommandRunner;

  constructor(options: TelemetryServiceOptions) {
    this.#store = options.store;
    this.#protocols = options.protocols;
    this.#clock = options.clock;
    this.#runner = options.runner ?? new AggregateCommandRunner({ store: options.store });
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
    const alarms = await this.#runAlarmCommands(endpoint, decision.alarms, metadata);
    return { telemetry: decision.telemetry, alarms: alarms.events, position: alarms.position ?? position };
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
    const result = await this.#runAlarmCommands(endpoint, [command], {
      actor: context.actor,
      correlationId: context.correlationId,
      schemaVersion: 1,
    });
    return { alarmId, changed: result.events.length > 0, position: result.position };
  }

  /**
   * Decides the commands in order on the device's alarm state and appends what they decided in one
   * append guarded by the revision the state covers; the runner keeps the state (a repeating alarm
   * makes a long stream: reading it whole for every value would cost more with every repeat), runs one
   * device's commands one after another and decides again after another process's append.
   */
  async #runAlarmCommands(
    endpoint: string,
    commands: readonly AlarmCommand[],
    metadata: Partial<EventMetadata>,
  ): Promise<{ events: readonly AlarmEvent[]; position: number | undefined }> {
    if (commands.length === 0) return { events: [], position: undefined };
    const result = await this.#runner.run(alarmStream(endpoint), alarmBatchDecider, commands, { metadata });
    return { events: result.events, position: result.position };
  }
}
