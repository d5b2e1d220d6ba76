/**
 * What the mapping policy decided for received values, on the device's stream `telemetry-<endpoint>`.
 * Every event records where it came from (`MappingSource`): the path, the protocol version whose
 * functionality produced it, or the built-in default, so that a replay shows exactly what users saw,
 * whatever the mapping says today.
 */
import type { JsonObject } from '../Json.ts';
import type { CustomActionName } from '../protocols/CustomActionRegistry.ts';
import type { FunctionalityKind } from '../protocols/Functionality.ts';

export const telemetryStreamPrefix = 'telemetry-';

export function telemetryStream(endpoint: string): string {
  return `${telemetryStreamPrefix}${endpoint}`;
}

/** The rule that turned a value into an event: a functionality of a protocol, or a built-in default. */
export type MappingRule = Exclude<FunctionalityKind, 'autoObserve' | 'customAction'> | `customAction:${CustomActionName}` | 'default';

export interface MappingSource {
  /** The value's path, e.g. "/3303/0/5700". */
  readonly path: string;
  /** The device protocol version (ObjectVersion) whose functionality applied; null for a built-in default. */
  readonly protocolVersion: string | null;
  readonly rule: MappingRule;
}

export interface MeasurementCreated {
  readonly endpoint: string;
  readonly type: string;
  readonly series: string;
  readonly value: number;
  readonly unit: string;
  /** ISO 8601: the device's time of the value when it gave one, else the time the server received it. */
  readonly time: string;
  readonly source: MappingSource;
}

export interface EventCreated {
  readonly endpoint: string;
  readonly type: string;
  readonly text: string;
  readonly time: string;
  /** Extra data of the event (e.g. the position of a location update); {} when none. */
  readonly attributes: JsonObject;
  readonly source: MappingSource;
}

export interface DevicePropertyReported {
  readonly endpoint: string;
  /** e.g. `manufacturer`, `model`, `serialNumber`, `firmwareVersion`. */
  readonly property: string;
  readonly value: string;
  readonly time: string;
  readonly source: MappingSource;
}

export interface DevicePositionReported {
  readonly endpoint: string;
  /** Degrees (WGS84, LwM2M object 6). */
  readonly latitude: number;
  readonly longitude: number;
  /** Metres; null when the device did not send it. */
  readonly altitude: number | null;
  readonly time: string;
  readonly source: MappingSource;
}

export type TelemetryEvent =
  | { readonly type: 'MeasurementCreated'; readonly data: MeasurementCreated }
  | { readonly type: 'EventCreated'; readonly data: EventCreated }
  | { readonly type: 'DevicePropertyReported'; readonly data: DevicePropertyReported }
  | { readonly type: 'DevicePositionReported'; readonly data: DevicePositionReported };

export const TELEMETRY_EVENT_TYPES: readonly TelemetryEvent['type'][] = [
  'MeasurementCreated',
  'EventCreated',
  'DevicePropertyReported',
  'DevicePositionReported',
];
