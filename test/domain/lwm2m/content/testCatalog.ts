/**
 * Small object models for the codec tests, written from the spec's object definitions (Core 1.1
 * Appendix E for 1, 2, 3; IPSO 3303), the two objects of the spec's objlnk TLV examples (65, 66), and
 * object 9000 with one single and one multiple resource of every type, for the property tests.
 */
import type { ObjectModelCatalog } from '../../../../src/domain/lwm2m/ObjectModel.ts';
import { LWM2M_VALUE_TYPES, type LwM2mValueType } from '../../../../src/domain/lwm2m/LwM2mValue.ts';
import { testObject, testResource } from '../../../support/TestObjectModels.ts';

export const SERVER = testObject(1, 'LwM2M Server', true, [
  testResource(0, 'Short Server ID', 'integer', 'R'),
  testResource(1, 'Lifetime', 'integer', 'RW'),
  testResource(2, 'Default Minimum Period', 'integer', 'RW'),
  testResource(3, 'Default Maximum Period', 'integer', 'RW'),
  testResource(4, 'Disable', 'none', 'E'),
  testResource(5, 'Disable Timeout', 'integer', 'RW'),
  testResource(6, 'Notification Storing When Disabled or Offline', 'boolean', 'RW'),
  testResource(7, 'Binding', 'string', 'RW'),
  testResource(8, 'Registration Update Trigger', 'none', 'E'),
]);

export const ACCESS_CONTROL = testObject(2, 'LwM2M Access Control', true, [
  testResource(0, 'Object ID', 'integer', 'R'),
  testResource(1, 'Object Instance ID', 'integer', 'R'),
  testResource(2, 'ACL', 'integer', 'RW', true),
  testResource(3, 'Access Control Owner', 'integer', 'RW'),
]);

export const DEVICE = testObject(3, 'Device', false, [
  testResource(0, 'Manufacturer', 'string', 'R'),
  testResource(1, 'Model Number', 'string', 'R'),
  testResource(2, 'Serial Number', 'string', 'R'),
  testResource(3, 'Firmware Version', 'string', 'R'),
  testResource(4, 'Reboot', 'none', 'E'),
  testResource(5, 'Factory Reset', 'none', 'E'),
  testResource(6, 'Available Power Sources', 'integer', 'R', true),
  testResource(7, 'Power Source Voltage', 'integer', 'R', true),
  testResource(8, 'Power Source Current', 'integer', 'R', true),
  testResource(9, 'Battery Level', 'integer', 'R'),
  testResource(10, 'Memory Free', 'integer', 'R'),
  testResource(11, 'Error Code', 'integer', 'R', true),
  testResource(12, 'Reset Error Code', 'none', 'E'),
  testResource(13, 'Current Time', 'time', 'RW'),
  testResource(14, 'UTC Offset', 'string', 'RW'),
  testResource(15, 'Timezone', 'string', 'RW'),
  testResource(16, 'Supported Binding and Modes', 'string', 'R'),
]);

export const OBJECT_65 = testObject(65, 'objlnk test 65', true, [
  testResource(0, 'res0', 'objlnk', 'R', true),
  testResource(1, 'res1', 'string', 'R'),
  testResource(2, 'res2', 'integer', 'R'),
]);

export const OBJECT_66 = testObject(66, 'objlnk test 66', true, [
  testResource(0, 'res0', 'string', 'R'),
  testResource(1, 'res1', 'string', 'R'),
  testResource(2, 'res2', 'objlnk', 'R'),
]);

export const TEMPERATURE = testObject(3303, 'Temperature', true, [
  testResource(5518, 'Timestamp', 'time', 'R'),
  testResource(5601, 'Min Measured Value', 'float', 'R'),
  testResource(5602, 'Max Measured Value', 'float', 'R'),
  testResource(5605, 'Reset Min and Max Measured Values', 'none', 'E'),
  testResource(5700, 'Sensor Value', 'float', 'R'),
  testResource(5701, 'Sensor Units', 'string', 'R'),
  testResource(5750, 'Application Type', 'string', 'RW'),
]);

/** Resource id of the single resource of each type in object 9000; the multiple one is this + 100. */
export const ALL_TYPES_OBJECT_ID = 9000;
export function allTypesResourceId(type: LwM2mValueType, multiple: boolean): number {
  return LWM2M_VALUE_TYPES.indexOf(type) + (multiple ? 100 : 0);
}

export const ALL_TYPES = testObject(
  ALL_TYPES_OBJECT_ID,
  'Every type',
  true,
  LWM2M_VALUE_TYPES.flatMap((type) => [
    testResource(allTypesResourceId(type, false), `single ${type}`, type, 'RW'),
    testResource(allTypesResourceId(type, true), `multiple ${type}`, type, 'RW', true),
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
