/**
 * Alarms of one device, on the stream `alarms-<endpoint>`: one stream per device, so that the rule
 * "one open alarm per type and device" is decided on one consistent state.
 */
import type { AlarmSeverity } from '../protocols/Functionality.ts';
import type { MappingSource } from './TelemetryEvents.ts';

export const alarmStreamPrefix = 'alarms-';

export function alarmStream(endpoint: string): string {
  return `${alarmStreamPrefix}${endpoint}`;
}

/** The status of a raised alarm: CLEARED is where it ends. */
export type RaisedAlarmStatus = 'ACTIVE' | 'ACKNOWLEDGED' | 'CLEARED';

/**
 * Alarm ids are `<n>@<endpoint>`: n counts the alarms raised on the device's stream, so the id is
 * decided without randomness and names the stream it lives on.
 */
export function alarmId(endpoint: string, sequence: number): string {
  return `${sequence}@${endpoint}`;
}

/** The endpoint of an alarm id, or undefined when the text is not an alarm id. */
export function alarmEndpoint(id: string): string | undefined {
  const match = /^[1-9][0-9]*@(.+)$/s.exec(id);
  return match?.[1];
}

export interface AlarmRaised {
  readonly alarmId: string;
  readonly endpoint: string;
  readonly type: string;
  readonly severity: AlarmSeverity;
  readonly status: 'ACTIVE' | 'ACKNOWLEDGED';
  readonly text: string;
  /** ISO 8601: the time of the value that raised it. */
  readonly time: string;
  /** The value and rule that raised it; null when raised by other means. */
  readonly source: MappingSource | null;
}

export interface AlarmCountIncreased {
  readonly alarmId: string;
  readonly count: number;
  readonly time: string;
  readonly text: string;
}

export interface AlarmAcknowledged {
  readonly alarmId: string;
  readonly at: string;
}

export interface AlarmCleared {
  readonly alarmId: string;
  readonly at: string;
}

export type AlarmEvent =
  | { readonly type: 'AlarmRaised'; readonly data: AlarmRaised }
  | { readonly type: 'AlarmCountIncreased'; readonly data: AlarmCountIncreased }
  | { readonly type: 'AlarmAcknowledged'; readonly data: AlarmAcknowledged }
  | { readonly type: 'AlarmCleared'; readonly data: AlarmCleared };

export const ALARM_EVENT_TYPES: readonly AlarmEvent['type'][] = ['AlarmRaised', 'AlarmCountIncreased', 'AlarmAcknowledged', 'AlarmCleared'];
