/**
 * A small object model catalog for the shell tests: the resources of objects 1, 2, 3, 5 and 3303 the
 * tests use, with their operations and types as the OMA registry's DDF files define them.
 */
import type { ObjectModel, ObjectModelCatalog } from '../../../src/domain/lwm2m/ObjectModel.ts';
import { testObject, testResource } from '../../support/TestObjectModels.ts';

export const serverObject = testObject(1, 'LwM2M Server', true, [
  testResource(0, 'Short Server ID', 'integer', 'R'),
  testResource(1, 'Lifetime', 'integer', 'RW'),
  testResource(2, 'Default Minimum Period', 'integer', 'RW'),
  testResource(4, 'Disable', 'none', 'E'),
  testResource(7, 'Binding', 'string', 'RW'),
  testResource(8, 'Registration Update Trigger', 'none', 'E'),
]);

export const accessControlObject = testObject(2, 'LwM2M Access Control', true, [
  testResource(0, 'Object ID', 'integer', 'R'),
  testResource(1, 'Object Instance ID', 'integer', 'R'),
  testResource(2, 'ACL', 'integer', 'RW', true),
  testResource(3, 'Access Control Owner', 'integer', 'RW'),
]);

export const deviceObject = testObject(3, 'Device', false, [
  testResource(0, 'Manufacturer', 'string', 'R'),
  testResource(1, 'Model Number', 'string', 'R'),
  testResource(4, 'Reboot', 'none', 'E'),
  testResource(6, 'Available Power Sources', 'integer', 'R', true),
  testResource(9, 'Battery Level', 'integer', 'R'),
  testResource(13, 'Current Time', 'time', 'RW'),
  testResource(14, 'UTC Offset', 'string', 'RW'),
  testResource(15, 'Timezone', 'string', 'RW'),
]);

/** Version 1.1 of the Device object adds resource 22 (ExtDevInfo, an Objlnk). */
export const deviceObjectV11 = testObject(3, 'Device', false, [
  ...deviceObject.resources,
  testResource(22, 'ExtDevInfo', 'objlnk', 'R', true),
], '1.1');

export const firmwareObject = testObject(5, 'Firmware Update', false, [
  testResource(0, 'Package', 'opaque', 'W'),
  testResource(1, 'Package URI', 'string', 'RW'),
  testResource(2, 'Update', 'none', 'E'),
  testResource(3, 'State', 'integer', 'R'),
]);

export const temperatureObject = testObject(3303, 'Temperature', true, [
  testResource(5601, 'Min Measured Value', 'float', 'R'),
  testResource(5605, 'Reset Min and Max Measured Values', 'none', 'E'),
  testResource(5700, 'Sensor Value', 'float', 'R'),
  testResource(5701, 'Sensor Units', 'string', 'R'),
  testResource(5750, 'Application Type', 'string', 'RW'),
]);

/** Several objects, several versions: `object(id)` gives the newest. */
export class ShellTestCatalog implements ObjectModelCatalog {
  readonly models: readonly ObjectModel[] = [serverObject, accessControlObject, deviceObject, deviceObjectV11, firmwareObject, temperatureObject];

  object(objectId: number, version?: string): ObjectModel | undefined {
    const candidates = this.models.filter((model) => model.id === objectId);
    if (version !== undefined) return candidates.find((model) => model.version === version);
    return candidates.at(-1);
  }
}
