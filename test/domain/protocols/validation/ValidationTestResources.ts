/** Resource models of every data type, writable unless said otherwise, for the validation rule tests. */
import type { ResourceModel, ResourceOperations, ResourceType } from '../../../../src/domain/lwm2m/ObjectModel.ts';
import { testResource } from '../../../support/TestObjectModels.ts';

export function resourceOf(type: ResourceType, operations: ResourceOperations = 'RW', id = 100): ResourceModel {
  return testResource(id, `A ${type} resource`, type, operations);
}

/** The guide's example resource: the Device object's UTC Offset (/3/0/14), a writable string. */
export const utcOffset: ResourceModel = { ...resourceOf('string'), id: 14, name: 'UTC Offset' };
