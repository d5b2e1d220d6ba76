/**
 * A small object model catalog for the shell tests: the resources of objects 1, 2, 3, 5 and 3303 the
 * tests use, with their operations and types as the OMA registry's DDF files define them.
 */
import type { ObjectModel, ObjectModelCatalog, ResourceModel, ResourceOperations, ResourceType } from '../../../src/domain/lwm2m/ObjectModel.ts';

function resource(id: number, name: string, operations: ResourceOperations, type: ResourceType, multiple = false): ResourceModel {
  return { id, name, operations, type, multiple, mandatory: false, rangeEnumeration: '', units: '', description: '' };
}

function object(id: number, name: string, multiple: boolean, version: string, resources: ResourceModel[]): ObjectModel {
  return { id, name, description: '', version, lwm2mVersion: '1.0', urn: `urn:oma:lwm2m:oma:${id}`, multiple, mandatory: false, resources };
}

export const serverObject = object(1, 'LwM2M Server', true, '1.0', [
  resource(0, 'Short Server ID', 'R', 'integer'),
  resource(1, 'Lifetime', 'RW', 'integer'),
  resource(2, 'Default Minimum Period', 'RW', 'integer'),
  resource(4, 'Disable', 'E', 'none'),
  resource(7, 'Binding', 'RW', 'string'),
  resource(8, 'Registration Update Trigger', 'E', 'none'),
]);

export const accessControlObject = object(2, 'LwM2M Access Control', true, '1.0', [
  resource(0, 'Object ID', 'R', 'integer'),
  resource(1, 'Object Instance ID', 'R', 'integer'),
  resource(2, 'ACL', 'RW', 'integer', true),
  resource(3, 'Access Control Owner', 'RW', 'integer'),
]);

export const deviceObject = object(3, 'Device', false, '1.0', [
  resource(0, 'Manufacturer', 'R', 'string'),
  resource(1, 'Model Number', 'R', 'string'),
  resource(4, 'Reboot', 'E', 'none'),
  resource(6, 'Available Power Sources', 'R', 'integer', true),
  resource(9, 'Battery Level', 'R', 'integer'),
  resource(13, 'Current Time', 'RW', 'time'),
  resource(14, 'UTC Offset', 'RW', 'string'),
  resource(15, 'Timezone', 'RW', 'string'),
]);

/** Version 1.1 of the Device object adds resource 22 (ExtDevInfo, an Objlnk). */
export const deviceObjectV11 = object(3, 'Device', false, '1.1', [
  ...deviceObject.resources,
  resource(22, 'ExtDevInfo', 'R', 'objlnk', true),
]);

export const firmwareObject = object(5, 'Firmware Update', false, '1.0', [
  resource(0, 'Package', 'W', 'opaque'),
  resource(1, 'Package URI', 'RW', 'string'),
  resource(2, 'Update', 'E', 'none'),
  resource(3, 'State', 'R', 'integer'),
]);

export const temperatureObject = object(3303, 'Temperature', true, '1.0', [
  resource(5601, 'Min Measured Value', 'R', 'float'),
  resource(5605, 'Reset Min and Max Measured Values', 'E', 'none'),
  resource(5700, 'Sensor Value', 'R', 'float'),
  resource(5701, 'Sensor Units', 'R', 'string'),
  resource(5750, 'Application Type', 'RW', 'string'),
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
