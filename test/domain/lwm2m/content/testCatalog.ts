/**
 * Small object models for the codec tests, written from the spec's object definitions (Core 1.1
 * Appendix E for 1, 2, 3; IPSO 3303), the two objects of the spec's objlnk TLV examples (65, 66), and
 * object 9000 with one single and one multiple resource of every type, for the property tests.
 */
import type { ObjectModel, ObjectModelCatalog, ResourceModel, ResourceOperations, ResourceType } from '../../../../src/domain/lwm2m/ObjectModel.ts';
import { LWM2M_VALUE_TYPES, type LwM2mValueType } from '../../../../src/domain/lwm2m/LwM2mValue.ts';

function resource(id: number, name: string, type: ResourceType, operations: ResourceOperations, multiple = false): ResourceModel {
  return { id, name, operations, multiple, mandatory: false, type, rangeEnumeration: '', units: '', description: '' };
}

function object(id: number, name: string, multiple: boolean, resources: ResourceModel[]): ObjectModel {
  return { id, name, description: '', version: '1.0', lwm2mVersion: '1.0', urn: `urn:oma:lwm2m:oma:${id}`, multiple, mandatory: false, resources };
}

export const SERVER = object(1, 'LwM2M Server', true, [
  resource(0, 'Short Server ID', 'integer', 'R'),
  resource(1, 'Lifetime', 'integer', 'RW'),
  resource(2, 'Default Minimum Period', 'integer', 'RW'),
  resource(3, 'Default Maximum Period', 'integer', 'RW'),
  resource(4, 'Disable', 'none', 'E'),
  resource(5, 'Disable Timeout', 'integer', 'RW'),
  resource(6, 'Notification Storing When Disabled or Offline', 'boolean', 'RW'),
  resource(7, 'Binding', 'string', 'RW'),
  resource(8, 'Registration Update Trigger', 'none', 'E'),
]);

export const ACCESS_CONTROL = object(2, 'LwM2M Access Control', true, [
  resource(0, 'Object ID', 'integer', 'R'),
  resource(1, 'Object Instance ID', 'integer', 'R'),
  resource(2, 'ACL', 'integer', 'RW', true),
  resource(3, 'Access Control Owner', 'integer', 'RW'),
]);

export const DEVICE = object(3, 'Device', false, [
  resource(0, 'Manufacturer', 'string', 'R'),
  resource(1, 'Model Number', 'string', 'R'),
  resource(2, 'Serial Number', 'string', 'R'),
  resource(3, 'Firmware Version', 'string', 'R'),
  resource(4, 'Reboot', 'none', 'E'),
  resource(5, 'Factory Reset', 'none', 'E'),
  resource(6, 'Available Power Sources', 'integer', 'R', true),
  resource(7, 'Power Source Voltage', 'integer', 'R', true),
  resource(8, 'Power Source Current', 'integer', 'R', true),
  resource(9, 'Battery Level', 'integer', 'R'),
  resource(10, 'Memory Free', 'integer', 'R'),
  resource(11, 'Error Code', 'integer', 'R', true),
  resource(12, 'Reset Error Code', 'none', 'E'),
  resource(13, 'Current Time', 'time', 'RW'),
  resource(14, 'UTC Offset', 'string', 'RW'),
  resource(15, 'Timezone', 'string', 'RW'),
  resource(16, 'Supported Binding and Modes', 'string', 'R'),
]);

export const OBJECT_65 = object(65, 'objlnk test 65', true, [
  resource(0, 'res0', 'objlnk', 'R', true),
  resource(1, 'res1', 'string', 'R'),
  resource(2, 'res2', 'integer', 'R'),
]);

export const OBJECT_66 = object(66, 'objlnk test 66', true, [
  resource(0, 'res0', 'string', 'R'),
  resource(1, 'res1', 'string', 'R'),
  resource(2, 'res2', 'objlnk', 'R'),
]);

export const TEMPERATURE = object(3303, 'Temperature', true, [
  resource(5518, 'Timestamp', 'time', 'R'),
  resource(5601, 'Min Measured Value', 'float', 'R'),
  resource(5602, 'Max Measured Value', 'float', 'R'),
  resource(5605, 'Reset Min and Max Measured Values', 'none', 'E'),
  resource(5700, 'Sensor Value', 'float', 'R'),
  resource(5701, 'Sensor Units', 'string', 'R'),
  resource(5750, 'Application Type', 'string', 'RW'),
]);

/** Resource id of the single resource of each type in object 9000; the multiple one is this + 100. */
export const ALL_TYPES_OBJECT_ID = 9000;
export function allTypesResourceId(type: LwM2mValueType, multiple: boolean): number {
  return LWM2M_VALUE_TYPES.indexOf(type) + (multiple ? 100 : 0);
}

export const ALL_TYPES = object(
  ALL_TYPES_OBJECT_ID,
  'Every type',
  true,
  LWM2M_VALUE_TYPES.flatMap((type) => [
    resource(allTypesResourceId(type, false), `single ${type}`, type, 'RW'),
    resource(allTypesResourceId(type, true), `multiple ${type}`, type, 'RW', true),
  ]),
);

export const testCatalog: ObjectModelCatalog = {
  object(objectId: number) {
    return [SERVER, ACCESS_CONTROL, DEVICE, OBJECT_65, OBJECT_66, TEMPERATURE, ALL_TYPES].find((model) => model.id === objectId);
  },
};

/** A catalog that knows nothing: what the codecs see for objects the service has no model of. */
export const emptyCatalog: ObjectModelCatalog = { object: () => undefined };

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
