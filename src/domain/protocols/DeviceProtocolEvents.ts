/**
 * Events of device protocols, on the stream `protocol-<objectId>`: one stream per LwM2M object, every
 * version of the object's protocol on it (the validation rules of the object's resources live on the
 * same stream, see `validation/ValidationRuleEvents.ts`). Every event names the object and version so
 * that it reads the same in a projection over all streams.
 */
import type { ImportCommit } from '../imports/StagedImports.ts';
import type { JsonObject } from '../Json.ts';
import type { Functionality, FunctionalityKind } from './Functionality.ts';

export const protocolStreamPrefix = 'protocol-';

export function protocolStream(objectId: number): string {
  return `${protocolStreamPrefix}${objectId}`;
}

export interface DeviceProtocolVersionCreated {
  readonly objectId: number;
  /** The object's version (ObjectVersion). */
  readonly version: string;
  readonly lwm2mVersion: string;
  readonly name: string;
  readonly description: string;
  /** The whole object model as uploaded, `objectModelToJson`: resources cannot be edited afterwards. */
  readonly model: JsonObject;
  /** ISO 8601. */
  readonly createdAt: string;
  /**
   * The DDF import that staged it (StagedImports.ts): a document's versions count once
   * `DeviceProtocolImportCommitted` is in the log. Absent in logs written before imports were staged.
   */
  readonly importId?: string;
  readonly staged?: boolean;
}

/** The commit of a DDF import, on `import-<importId>`: the versions it staged on these objects' streams count from here. */
export interface DeviceProtocolImportCommitted extends ImportCommit {
  readonly objectIds: readonly number[];
}

export type DeviceProtocolImportEvent = { readonly type: 'DeviceProtocolImportCommitted'; readonly data: DeviceProtocolImportCommitted };

export interface ResourceFunctionalitySet {
  readonly objectId: number;
  readonly version: string;
  readonly resourceId: number;
  readonly functionality: Functionality;
  readonly at: string;
}

export interface ResourceFunctionalityRemoved {
  readonly objectId: number;
  readonly version: string;
  readonly resourceId: number;
  readonly kind: FunctionalityKind;
  readonly at: string;
}

export type DeviceProtocolEvent =
  | { readonly type: 'DeviceProtocolVersionCreated'; readonly data: DeviceProtocolVersionCreated }
  | { readonly type: 'ResourceFunctionalitySet'; readonly data: ResourceFunctionalitySet }
  | { readonly type: 'ResourceFunctionalityRemoved'; readonly data: ResourceFunctionalityRemoved };

export const DEVICE_PROTOCOL_EVENT_TYPES: readonly DeviceProtocolEvent['type'][] = [
  'DeviceProtocolVersionCreated',
  'ResourceFunctionalitySet',
  'ResourceFunctionalityRemoved',
];

/** Picks the device protocol events out of the stream that also holds validation rule events. */
export function isDeviceProtocolEvent(event: { readonly type: string }): event is DeviceProtocolEvent {
  return (DEVICE_PROTOCOL_EVENT_TYPES as readonly string[]).includes(event.type);
}
