/**
 * The validation rule sets of the resources of one object: groups are added and removed whole (a
 * group is the unit of the disjunctive normal form: change a group by removing it and adding the new
 * one). The decider does not know its stream's name; the application runs it on the device
 * protocol's stream and feeds it that stream's validation rule events (`isValidationRuleEvent`).
 *
 * The model of the target resource comes inside the command: the application looks it up in the
 * object model catalog, and the decider stays pure.
 */
import type { Decider } from '../../Decider.ts';
import { DomainError } from '../../DomainError.ts';
import type { ResourceModel } from '../../lwm2m/ObjectModel.ts';
import type { ValidationRule, ValidationRuleGroup } from './ValidationRule.ts';
import { checkValidationRuleGroup } from './ValidationRuleDefinition.ts';
import type { ValidationRuleEvent } from './ValidationRuleEvents.ts';

export const MAX_GROUPS_PER_RESOURCE = 16;
export const MAX_GROUP_ID_LENGTH = 64;

export type ValidationRuleSetCommand =
  | {
      readonly type: 'AddValidationRuleGroup';
      readonly objectId: number;
      readonly resource: ResourceModel;
      readonly groupId: string;
      readonly rules: readonly ValidationRule[];
    }
  | { readonly type: 'RemoveValidationRuleGroup'; readonly objectId: number; readonly resourceId: number; readonly groupId: string };

/** Per resource ("objectId/resourceId"), its groups in the order they were added. */
export interface ValidationRuleSetState {
  readonly groups: ReadonlyMap<string, readonly ValidationRuleGroup[]>;
}

function resourceKey(objectId: number, resourceId: number): string {
  return `${objectId}/${resourceId}`;
}

/** The groups of one resource, in the order they were added; empty when it has none. */
export function ruleGroupsOf(state: ValidationRuleSetState, objectId: number, resourceId: number): readonly ValidationRuleGroup[] {
  return state.groups.get(resourceKey(objectId, resourceId)) ?? [];
}

export const validationRuleSetDecider: Decider<ValidationRuleSetCommand, ValidationRuleEvent, ValidationRuleSetState> = {
  initialState: { groups: new Map() },

  decide(command, state) {
    switch (command.type) {
      case 'AddValidationRuleGroup': {
        const { objectId, resource, groupId, rules } = command;
        const target = `resource ${resource.id} (${resource.name}) of object ${objectId}`;
        if (groupId === '' || groupId.length > MAX_GROUP_ID_LENGTH) {
          throw new DomainError('BAD_USER_INPUT', `a validation rule group id has 1 to ${MAX_GROUP_ID_LENGTH} characters`, { groupId });
        }
        checkValidationRuleGroup(resource, rules);
        const existing = ruleGroupsOf(state, objectId, resource.id);
        if (existing.some((group) => group.groupId === groupId)) {
          throw new DomainError('CONFLICT', `${target} already has a validation rule group "${groupId}"`, { groupId });
        }
        if (existing.length >= MAX_GROUPS_PER_RESOURCE) {
          throw new DomainError('LIMIT_EXCEEDED', `${target} has ${MAX_GROUPS_PER_RESOURCE} validation rule groups, the most it may have`, {
            groupId,
          });
        }
        return [{ type: 'ValidationRuleGroupAdded', data: { objectId, resourceId: resource.id, groupId, rules } }];
      }
      case 'RemoveValidationRuleGroup': {
        const { objectId, resourceId, groupId } = command;
        if (!ruleGroupsOf(state, objectId, resourceId).some((group) => group.groupId === groupId)) {
          throw new DomainError('NOT_FOUND', `resource ${resourceId} of object ${objectId} has no validation rule group "${groupId}"`, { groupId });
        }
        return [{ type: 'ValidationRuleGroupRemoved', data: { objectId, resourceId, groupId } }];
      }
    }
  },

  evolve(state, event) {
    const { objectId, resourceId, groupId } = event.data;
    const key = resourceKey(objectId, resourceId);
    const groups = state.groups.get(key) ?? [];
    const next = new Map(state.groups);
    switch (event.type) {
      case 'ValidationRuleGroupAdded':
        next.set(key, [...groups, { groupId, rules: event.data.rules }]);
        break;
      case 'ValidationRuleGroupRemoved': {
        const remaining = groups.filter((group) => group.groupId !== groupId);
        if (remaining.length === 0) next.delete(key);
        else next.set(key, remaining);
        break;
      }
    }
    return { groups: next };
  },
};
