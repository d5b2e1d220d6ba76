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
import type { AlarmCommand, DeviceAlarmsState } from '../../domain/telemetry/AlarmDecider.ts';
import { alarmDecider } from '../../domain/telemetry/AlarmDecider.ts';
import type { AlarmEvent } from '../../domain/telemetry/AlarmEvents.ts';
import { alarmEndpoint, alarmStream } from '../../domain/telemetry/AlarmEvents.ts';
import type { DeviceProtocolMapping } from '../../domain/telemetry/MappingPolicy.ts';
import { mapReceivedValues } from '../../domain/telemetry/MappingPolicy.ts';
import type { TelemetryEvent } from '../../domain/telemetry/TelemetryEvents.ts';
import { telemetryStream } from '../../domain/telemetry/TelemetryEvents.ts';
import { KeyedSerializer } from '../kernel/KeyedSerializer.ts';
import type { DeviceProtocolService, RequestContext } from '../protocols/DeviceProtocolService.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { EventMetadata, EventStore } from '../../adapters/eventstore/EventStore.ts';
import { WrongExpectedVersion } from '../../adapters/eventstore/EventStore.ts';

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

/** How often a concurrent append makes the alarm commands be decided again before giving up. */
const ALARM_ATTEMPTS = 4;

export class TelemetryService {
  readonly #store: EventStore;
  readonly #protocols: DeviceProtocolService;
  readonly #clock: Clock;
  /** Per device, its alarm state and the stream revision it covers. */
  readonly #alarmStates = new Map<string, { state: DeviceAlarmsState; revision: number }>();
  readonly #alarmQueue = new KeyedSerializer();

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
   * append guarded by the revision read; on a concurrent append, decides again on the newer state.
   * The state is kept per device and only the events after it are read (a repeating alarm makes a long
   * stream: reading it whole for every value would cost more with every repeat).
   */
  async #runAlarmCommands(
    endpoint: string,
    commands: readonly AlarmCommand[],
    metadata: Partial<EventMetadata>,
  ): Promise<{ events: AlarmEvent[]; position: number | undefined }> {
    if (commands.length === 0) return { events: [], position: undefined };
    // One device's alarm commands run one after another in this process; another process appending
    // to the same stream is met by the expected revision and a retry.
    return this.#alarmQueue.run(endpoint, () => this.#decideAndAppendAlarms(endpoint, commands, metadata));
  }

  async #decideAndAppendAlarms(
    endpoint: string,
    commands: readonly AlarmCommand[],
    metadata: Partial<EventMetadata>,
  ): Promise<{ events: AlarmEvent[]; position: number | undefined }> {
    const stream = alarmStream(endpoint);
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.#alarmState(endpoint);
      let state = loaded.state;
      const events: AlarmEvent[] = [];
      for (const command of commands) {
        const decided = alarmDecider.decide(command, state);
        state = decided.reduce((s, e) => alarmDecider.evolve(s, e), state);
        events.push(...decided);
      }
      if (events.length === 0) return { events, position: undefined };
      try {
        const appended = await this.#store.appendToStream(
          stream,
          events.map((event) => ({ type: event.type, data: event.data as unknown as JsonValue, metadata })),
          loaded.revision === -1 ? 'no_stream' : loaded.revision,
        );
        this.#alarmStates.set(endpoint, { state, revision: appended.nextExpectedRevision });
        return { events, position: appended.position };
      } catch (error) {
        if (error instanceof WrongExpectedVersion && attempt < ALARM_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** The device's alarm state: the kept one brought up to date with the events appended since. */
  async #alarmState(endpoint: string): Promise<{ state: DeviceAlarmsState; revision: number }> {
    const kept = this.#alarmStates.get(endpoint);
    const read = await this.#store.readStream(alarmStream(endpoint), { fromRevision: kept === undefined ? 0 : kept.revision + 1 });
    let state = kept?.state ?? alarmDecider.initialState;
    let revision = kept?.revision ?? -1;
    if (read.status === 'found') {
      for (const recorded of read.events) {
        state = alarmDecider.evolve(state, toDomainEvent<AlarmEvent>(recorded));
        revision = recorded.revision;
      }
    }
    const current = { state, revision };
    this.#alarmStates.set(endpoint, current);
    return current;
  }
}
