/** Object and resource models for tests, with the fields a test does not care about left empty. */
import type { ObjectModel, ResourceModel, ResourceOperations, ResourceType } from '../../src/domain/lwm2m/ObjectModel.ts';

export function testResource(id: number, name: string, type: ResourceType, operations: ResourceOperations, multiple = false): ResourceModel {
  return { id, name, operations, multiple, mandatory: false, type, rangeEnumeration: '', units: '', description: '' };
}

/** An OMA object (`urn:oma:lwm2m:oma:<id>`) of LwM2M 1.0. */
export function testObject(id: number, name: string, multiple: boolean, resources: ResourceModel[], version = '1.0'): ObjectModel {
  return { id, name, description: '', version, lwm2mVersion: '1.0', urn: `urn:oma:lwm2m:oma:${id}`, multiple, mandatory: false, resources };
}
