/** Device protocols: the list, the DDF upload, functionalities and validation rule groups. */
import type { ResourceModel } from './DeviceDocuments.ts';
import { gql } from './Document.ts';

export interface ProtocolSummary {
  readonly objectId: number;
  readonly name: string;
  readonly description: string;
  readonly latestVersion: string;
  readonly versions: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const protocolsQuery = gql<{ deviceProtocols: readonly ProtocolSummary[] }>(
  'query DeviceProtocols { deviceProtocols { objectId name description latestVersion versions createdAt updatedAt } }',
);

export interface DdfError {
  readonly code: string;
  readonly message: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly element: string | null;
  readonly objectId: number | null;
  readonly resourceId: number | null;
}

export const uploadProtocolMutation = gql<{ uploadDeviceProtocol: { protocols: ReadonlyArray<{ objectId: number; version: string; name: string; created: boolean }> } }, { xml: string }>(
  'mutation UploadDeviceProtocol($xml: String!) { uploadDeviceProtocol(xml: $xml) { protocols { objectId version name created } } }',
);

export type Severity = 'CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING';
export type AlarmStatus = 'ACTIVE' | 'ACKNOWLEDGED' | 'CLEARED';

export interface PackedField {
  readonly type: string;
  readonly measurementType: string;
  readonly series: string;
  readonly unit: string;
  readonly scale: number;
}

export interface Functionalities {
  readonly sendMeasurement: { type: string; series: string; unit: string } | null;
  readonly createAlarm: { severity: Severity; type: string; status: AlarmStatus; text: string } | null;
  readonly sendEvent: { type: string; text: string } | null;
  readonly customAction: { name: string; fields: readonly PackedField[] | null; property: string | null } | null;
  readonly autoObserve: boolean;
}

export type RuleType = 'DATE' | 'NUMBER' | 'OBJECT_LINK' | 'REGEX' | 'STRING';
export type RuleOperator = 'GREATER_THAN' | 'LOWER_THAN' | 'EQUALS' | 'EQUALS_NOT' | 'GREATER_OR_EQUALS' | 'LOWER_OR_EQUALS';

export interface ValidationRule {
  readonly type: RuleType;
  readonly operator: RuleOperator;
  readonly value: string | null;
  readonly resourcePath: string | null;
  readonly description: string;
}

export interface RuleGroup {
  readonly groupId: string;
  readonly rules: readonly ValidationRule[];
}

/** A resource of a protocol: its model as uploaded, and what the service does with its values. */
export interface ProtocolResource extends ResourceModel {
  readonly functionalities: Functionalities;
  readonly validationRuleGroups: readonly RuleGroup[];
}

export interface Protocol {
  readonly objectId: number;
  readonly version: string;
  readonly lwm2mVersion: string;
  readonly name: string;
  readonly description: string;
  readonly urn: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly resources: readonly ProtocolResource[];
}

const groupFields = 'groupId rules { type operator value resourcePath description }';
const protocolFields = `objectId version lwm2mVersion name description urn createdAt updatedAt
  resources { id name operations multipleInstances mandatory type rangeEnumeration units description
    functionalities { sendMeasurement { type series unit } createAlarm { severity type status text } sendEvent { type text }
      customAction { name property fields { type measurementType series unit scale } } autoObserve }
    validationRuleGroups { ${groupFields} } }`;

export const protocolQuery = gql<{ deviceProtocol: Protocol | null }, { objectId: number; version: string | null }>(
  `query DeviceProtocol($objectId: Int!, $version: String) { deviceProtocol(objectId: $objectId, version: $version) { ${protocolFields} } }`,
);

export type FunctionalityKind = 'SEND_MEASUREMENT' | 'CREATE_ALARM' | 'SEND_EVENT' | 'CUSTOM_ACTION' | 'AUTO_OBSERVE';

export interface FunctionalityInput {
  sendMeasurement?: { type: string; series: string; unit: string };
  createAlarm?: { severity: Severity; type: string; status: AlarmStatus; text: string };
  sendEvent?: { type: string; text: string };
  customAction?: { decodePackedReading?: readonly PackedField[]; mapToDeviceProperty?: string };
  autoObserve?: boolean;
}

export const setFunctionalityMutation = gql<{ setResourceFunctionality: { version: string } }, { objectId: number; version: string; resourceId: number; functionality: FunctionalityInput }>(
  'mutation SetFunctionality($objectId: Int!, $version: String, $resourceId: Int!, $functionality: FunctionalityInput!) { setResourceFunctionality(objectId: $objectId, version: $version, resourceId: $resourceId, functionality: $functionality) { version } }',
);

export const removeFunctionalityMutation = gql<{ removeResourceFunctionality: { version: string } }, { objectId: number; version: string; resourceId: number; kind: FunctionalityKind }>(
  'mutation RemoveFunctionality($objectId: Int!, $version: String, $resourceId: Int!, $kind: FunctionalityKind!) { removeResourceFunctionality(objectId: $objectId, version: $version, resourceId: $resourceId, kind: $kind) { version } }',
);

export interface RuleInput {
  type: RuleType;
  operator: RuleOperator;
  value: string | null;
  resourcePath: string | null;
}

export const addRuleGroupMutation = gql<{ addValidationRuleGroup: readonly RuleGroup[] }, { objectId: number; resourceId: number; groupId: string; rules: readonly RuleInput[] }>(
  `mutation AddRuleGroup($objectId: Int!, $resourceId: Int!, $groupId: String!, $rules: [ValidationRuleInput!]!) { addValidationRuleGroup(objectId: $objectId, resourceId: $resourceId, groupId: $groupId, rules: $rules) { ${groupFields} } }`,
);

export const removeRuleGroupMutation = gql<{ removeValidationRuleGroup: readonly RuleGroup[] }, { objectId: number; resourceId: number; groupId: string }>(
  `mutation RemoveRuleGroup($objectId: Int!, $resourceId: Int!, $groupId: String!) { removeValidationRuleGroup(objectId: $objectId, resourceId: $resourceId, groupId: $groupId) { ${groupFields} } }`,
);
