/** The documents of the devices list and the device page, with the types of what they return. */
import { gql } from './Document.ts';
import type { Document } from './Document.ts';

export interface ObjectLink {
  readonly objectId: number;
  readonly instanceId: number | null;
  readonly version: string | null;
}

export interface Registration {
  readonly registrationId: string;
  readonly address: string;
  readonly port: number;
  readonly channel: string;
  readonly lifetime: number;
  readonly lwm2mVersion: string;
  readonly binding: string;
  readonly queueMode: boolean;
  readonly registeredAt: string;
  readonly lastUpdateAt: string;
  readonly rootPath: string;
  readonly contentFormats: readonly number[];
  readonly objectLinks: readonly ObjectLink[];
}

export interface DeviceRow {
  readonly endpoint: string;
  readonly name: string;
  readonly type: string;
  readonly status: 'ACTIVE' | 'DECOMMISSIONED';
  readonly online: boolean;
  readonly lastSeen: string | null;
  readonly registration: Pick<Registration, 'lwm2mVersion' | 'binding'> | null;
}

const deviceRowFields = 'endpoint name type status online lastSeen registration { lwm2mVersion binding }';

export interface PageInfo {
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

export const devicesQuery = gql<
  { devices: { totalCount: number; pageInfo: PageInfo; edges: ReadonlyArray<{ cursor: string; node: DeviceRow }> } },
  { search: string | null; status: DeviceRow['status'] | null; first: number; after: string | null }
>(`query Devices($search: String, $status: DeviceStatus, $first: Int, $after: String) {
  devices(filter: { search: $search, status: $status }, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ${deviceRowFields} } }
  }
}`);

export const deviceRowChanged = gql<{ deviceChanged: DeviceRow }, Record<string, never>>(`subscription DeviceRowChanged { deviceChanged { ${deviceRowFields} } }`);

export interface RowError {
  readonly line: number;
  readonly column: string | null;
  readonly columnNumber: number | null;
  readonly message: string;
}

export type ImportMode = 'ALL_OR_NOTHING' | 'VALID_ROWS_ONLY';

export const importDevicesMutation = gql<
  { importDeviceRegistrations: { imported: number; updated: number; unchanged: number; errors: readonly RowError[] } },
  { csv: string; mode: ImportMode }
>(`mutation ImportDevices($csv: String!, $mode: ImportMode) {
  importDeviceRegistrations(csv: $csv, options: { mode: $mode }) { imported updated unchanged errors { line column columnNumber message } }
}`);

export interface DeviceDetail extends Omit<DeviceRow, 'registration'> {
  readonly externalId: string;
  readonly idType: string;
  readonly shellEnabled: boolean;
  readonly securityMode: string;
  readonly lwm2mPskId: string | null;
  readonly bindingMode: string;
  readonly registrationLifetime: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly registration: Registration | null;
  readonly properties: ReadonlyArray<{ name: string; value: string; time: string }>;
}

const deviceDetailFields = `endpoint externalId idType name type status online lastSeen shellEnabled securityMode lwm2mPskId bindingMode registrationLifetime createdAt updatedAt
  registration { registrationId address port channel lifetime lwm2mVersion binding queueMode registeredAt lastUpdateAt rootPath contentFormats objectLinks { objectId instanceId version } }
  properties { name value time }`;

export const deviceQuery = gql<{ device: DeviceDetail | null }, { endpoint: string }>(`query Device($endpoint: String!) { device(endpoint: $endpoint) { ${deviceDetailFields} } }`);

export const deviceChanged = gql<{ deviceChanged: DeviceDetail }, { endpoint: string }>(`subscription DeviceChanged($endpoint: String) { deviceChanged(endpoint: $endpoint) { ${deviceDetailFields} } }`);

export interface DeviceAsOf {
  readonly endpoint: string;
  readonly name: string;
  readonly status: string;
  readonly securityMode: string;
  readonly bindingMode: string;
  readonly revision: number;
  readonly updatedAt: string;
  readonly online: boolean;
  readonly registration: Registration | null;
}

export const deviceAsOfQuery = gql<{ device: DeviceAsOf | null }, { endpoint: string; time: string }>(`query DeviceAsOf($endpoint: String!, $time: DateTime) {
  device(endpoint: $endpoint, asOf: { time: $time }) {
    endpoint name status securityMode bindingMode revision updatedAt online
    registration { registrationId address port channel lifetime lwm2mVersion binding queueMode registeredAt lastUpdateAt rootPath contentFormats objectLinks { objectId instanceId version } }
  }
}`);

export const decommissionMutation = gql<{ decommissionDevice: { endpoint: string; status: string } }, { endpoint: string }>(
  'mutation Decommission($endpoint: String!) { decommissionDevice(endpoint: $endpoint) { endpoint status } }',
);

export interface ResourceValue {
  readonly path: string;
  readonly type: string;
  readonly text: string;
  readonly time: string;
  readonly source: string;
}

const valueFields = 'path type text time source';

export const resourceValuesQuery = gql<{ device: { resources: readonly ResourceValue[] } | null }, { endpoint: string }>(
  `query ResourceValues($endpoint: String!) { device(endpoint: $endpoint) { resources(path: "/") { ${valueFields} } } }`,
);

export const resourceValuesChanged = gql<{ resourceValues: readonly ResourceValue[] }, { endpoint: string }>(
  `subscription ResourceValuesChanged($endpoint: String!) { resourceValues(endpoint: $endpoint, path: "/") { ${valueFields} } }`,
);

export interface ResourceModel {
  readonly id: number;
  readonly name: string;
  readonly operations: '' | 'R' | 'W' | 'RW' | 'E';
  readonly multipleInstances: boolean;
  readonly mandatory: boolean;
  readonly type: string;
  readonly rangeEnumeration: string;
  readonly units: string;
  readonly description: string;
}

export interface ObjectModel {
  readonly objectId: number;
  readonly version: string;
  readonly name: string;
  readonly description: string;
  readonly multipleInstances: boolean;
  readonly uploaded: boolean;
  readonly resources: readonly ResourceModel[];
}

export const objectModelsQuery = gql<{ objectModels: readonly ObjectModel[] }, { objectIds: readonly number[] }>(
  `query ObjectModels($objectIds: [Int!]!) { objectModels(objectIds: $objectIds) { objectId version name description multipleInstances uploaded resources { id name operations multipleInstances mandatory type rangeEnumeration units description } } }`,
);

export type OperationStatus = 'PENDING' | 'SENT' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface Operation {
  readonly id: string;
  readonly kind: string;
  readonly paths: readonly string[];
  readonly content: unknown;
  readonly status: OperationStatus;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly completedAt: string | null;
  readonly attempts: number;
  readonly responseCode: string | null;
  readonly result: unknown;
  readonly reason: string | null;
}

const operationFields = 'id kind paths content status requestedBy requestedAt completedAt attempts responseCode result reason';

export const operationsQuery = gql<{ operations: readonly Operation[] }, { endpoint: string }>(
  `query Operations($endpoint: String!) { operations(endpoint: $endpoint, first: 500, newest: true) { ${operationFields} } }`,
);

export const operationUpdated = gql<{ operationUpdated: Operation }, { endpoint: string }>(
  `subscription OperationUpdated($endpoint: String) { operationUpdated(endpoint: $endpoint) { ${operationFields} } }`,
);

export const cancelOperationMutation = gql<{ cancelOperation: Operation }, { endpoint: string; id: string }>(
  `mutation CancelOperation($endpoint: String!, $id: ID!) { cancelOperation(endpoint: $endpoint, id: $id, reason: "cancelled in the console") { ${operationFields} } }`,
);

type PathVariables = { endpoint: string; path: string };

export type PathOperation = 'read' | 'discover' | 'observe' | 'cancelObservation' | 'deleteInstance';

/** The device-management mutations that take one path; each returns the queued operation. */
export const pathOperations: Readonly<Record<PathOperation, Document<Record<string, Operation>, PathVariables>>> = {
  read: gql<{ readResource: Operation }, PathVariables>(`mutation Read($endpoint: String!, $path: String!) { readResource(endpoint: $endpoint, path: $path) { ${operationFields} } }`),
  discover: gql<{ discover: Operation }, PathVariables>(`mutation Discover($endpoint: String!, $path: String!) { discover(endpoint: $endpoint, path: $path) { ${operationFields} } }`),
  observe: gql<{ observe: Operation }, PathVariables>(`mutation Observe($endpoint: String!, $path: String!) { observe(endpoint: $endpoint, path: $path) { ${operationFields} } }`),
  cancelObservation: gql<{ cancelObservation: Operation }, PathVariables>(
    `mutation CancelObservation($endpoint: String!, $path: String!) { cancelObservation(endpoint: $endpoint, path: $path) { ${operationFields} } }`,
  ),
  deleteInstance: gql<{ deleteInstance: Operation }, PathVariables>(`mutation DeleteInstance($endpoint: String!, $path: String!) { deleteInstance(endpoint: $endpoint, path: $path) { ${operationFields} } }`),
};

export interface ValueInput {
  readonly path: string;
  readonly type: string;
  readonly text: string;
}

export const writeMutation = gql<{ writeResource: Operation }, { endpoint: string; path: string; values: readonly ValueInput[]; replace: boolean }>(
  `mutation Write($endpoint: String!, $path: String!, $values: [ResourceValueInput!]!, $replace: Boolean) { writeResource(endpoint: $endpoint, path: $path, values: $values, replace: $replace) { ${operationFields} } }`,
);

export const executeMutation = gql<{ execute: Operation }, { endpoint: string; path: string; arguments: string | null }>(
  `mutation Execute($endpoint: String!, $path: String!, $arguments: String) { execute(endpoint: $endpoint, path: $path, arguments: $arguments) { ${operationFields} } }`,
);

export const createInstanceMutation = gql<{ createInstance: Operation }, { endpoint: string; path: string; values: readonly ValueInput[] }>(
  `mutation CreateInstance($endpoint: String!, $path: String!, $values: [ResourceValueInput!]!) { createInstance(endpoint: $endpoint, path: $path, values: $values) { ${operationFields} } }`,
);

export interface NotificationAttributes {
  pmin?: number | null;
  pmax?: number | null;
  gt?: number | null;
  lt?: number | null;
  st?: number | null;
}

export const writeAttributesMutation = gql<{ writeAttributes: Operation }, { endpoint: string; path: string; attributes: NotificationAttributes }>(
  `mutation WriteAttributes($endpoint: String!, $path: String!, $attributes: NotificationAttributesInput!) { writeAttributes(endpoint: $endpoint, path: $path, attributes: $attributes) { ${operationFields} } }`,
);

export const readCompositeMutation = gql<{ readComposite: Operation }, { endpoint: string; paths: readonly string[] }>(
  `mutation ReadComposite($endpoint: String!, $paths: [String!]!) { readComposite(endpoint: $endpoint, paths: $paths) { ${operationFields} } }`,
);

export interface HistoryEntry {
  readonly position: number;
  readonly category: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string | null;
  readonly correlationId: string | null;
  readonly data: unknown;
}

const historyFields = 'position category type recordedAt actor correlationId data';

export const deviceHistoryQuery = gql<
  { deviceHistory: { totalCount: number; pageInfo: PageInfo; edges: ReadonlyArray<{ node: HistoryEntry }> } },
  { endpoint: string; category: string | null; first: number; after: string | null }
>(`query DeviceHistory($endpoint: String!, $category: String, $first: Int, $after: String) {
  deviceHistory(endpoint: $endpoint, category: $category, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${historyFields} } } }
}`);

export const deviceEventsSubscription = gql<{ deviceEvents: HistoryEntry }, { endpoint: string }>(
  `subscription DeviceEvents($endpoint: String!) { deviceEvents(endpoint: $endpoint) { ${historyFields} } }`,
);

export interface BootstrapSession {
  readonly id: string;
  readonly address: string;
  readonly channel: string;
  readonly status: string;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly steps: ReadonlyArray<{ step: number; kind: string; target: string; purpose: string | null; sentAt: string | null; answeredAt: string | null; code: string | null }>;
}

export const bootstrapSessionsQuery = gql<{ bootstrapSessions: { edges: ReadonlyArray<{ node: BootstrapSession }> } }, { endpoint: string }>(
  `query BootstrapSessions($endpoint: String!) { bootstrapSessions(endpoint: $endpoint, first: 20) { edges { node { id address channel status reason startedAt endedAt steps { step kind target purpose sentAt answeredAt code } } } } }`,
);
