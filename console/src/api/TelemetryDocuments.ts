/** Measurements, device events and alarms. */
import { gql } from './Document.ts';
import type { PageInfo } from './DeviceDocuments.ts';
import type { AlarmStatus, Severity } from './ProtocolDocuments.ts';

export interface Measurement {
  readonly id: string;
  readonly type: string;
  readonly series: string;
  readonly value: number;
  readonly unit: string;
  readonly time: string;
}

const measurementFields = 'id type series value unit time';

export const measurementsQuery = gql<{ measurements: { pageInfo: PageInfo; edges: ReadonlyArray<{ node: Measurement }> } }, { endpoint: string; from: string; after: string | null }>(
  `query Measurements($endpoint: String!, $from: DateTime, $after: String) { measurements(endpoint: $endpoint, from: $from, first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${measurementFields} } } } }`,
);

export const measurementCreated = gql<{ measurementCreated: Measurement }, { endpoint: string }>(
  `subscription MeasurementCreated($endpoint: String) { measurementCreated(endpoint: $endpoint) { ${measurementFields} } }`,
);

export interface DeviceEvent {
  readonly id: string;
  readonly type: string;
  readonly text: string;
  readonly time: string;
  readonly source: { path: string; rule: string };
}

const eventFields = 'id type text time source { path rule }';

export const eventsQuery = gql<{ events: { edges: ReadonlyArray<{ node: DeviceEvent }> } }, { endpoint: string; from: string }>(
  `query Events($endpoint: String!, $from: DateTime) { events(endpoint: $endpoint, from: $from, first: 500) { edges { node { ${eventFields} } } } }`,
);

export const eventCreated = gql<{ eventCreated: DeviceEvent }, { endpoint: string }>(`subscription EventCreated($endpoint: String) { eventCreated(endpoint: $endpoint) { ${eventFields} } }`);

export interface Alarm {
  readonly id: string;
  readonly endpoint: string;
  readonly type: string;
  readonly severity: Severity;
  readonly status: AlarmStatus;
  readonly text: string;
  readonly count: number;
  readonly firstTime: string;
  readonly lastTime: string;
}

const alarmFields = 'id endpoint type severity status text count firstTime lastTime';

export const alarmsQuery = gql<
  { alarms: { totalCount: number; pageInfo: PageInfo; edges: ReadonlyArray<{ node: Alarm }> } },
  { endpoint: string | null; status: readonly AlarmStatus[] | null; severity: readonly Severity[] | null; after: string | null }
>(`query Alarms($endpoint: String, $status: [AlarmStatus!], $severity: [AlarmSeverity!], $after: String) {
  alarms(endpoint: $endpoint, status: $status, severity: $severity, first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${alarmFields} } } }
}`);

export const alarmChanged = gql<{ alarmChanged: Alarm }, { endpoint: string | null }>(`subscription AlarmChanged($endpoint: String) { alarmChanged(endpoint: $endpoint) { ${alarmFields} } }`);

export const acknowledgeAlarmMutation = gql<{ acknowledgeAlarm: Alarm }, { id: string }>(`mutation AcknowledgeAlarm($id: ID!) { acknowledgeAlarm(id: $id) { ${alarmFields} } }`);

export const clearAlarmMutation = gql<{ clearAlarm: Alarm }, { id: string }>(`mutation ClearAlarm($id: ID!) { clearAlarm(id: $id) { ${alarmFields} } }`);
