/**
 * Device protocols and validation rules: the protocol queries, the upload and the functionality and
 * rule mutations, and the types that show a protocol's resources. Mutations answer after their events
 * are projected (read-your-writes).
 */
import type { DdfError } from '../../domain/lwm2m/DdfError.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { ValidationRuleGroup } from '../../domain/protocols/validation/ValidationRule.ts';
import { describeRule } from '../../domain/protocols/validation/ValidationRule.ts';
import { ruleGroupsOf } from '../../domain/protocols/validation/ValidationRuleSetDecider.ts';
import type { DeviceProtocolVersionView, ProtocolResourceView } from '../../projections/protocols/DeviceProtocolQueries.ts';
import { requireRole } from '../Authorization.ts';
import type { GraphQLContext } from '../GraphQLContext.ts';
import { requestContextOf } from '../GraphQLContext.ts';
import type {
  CustomActionResolvers,
  DeviceProtocolResolvers,
  MutationResolvers,
  ProtocolResourceResolvers,
  QueryResolvers,
  ResourceFunctionalitiesResolvers,
  ValidationRuleResolvers,
} from '../generated/resolvers-types.ts';
import {
  functionalityFromApi,
  functionalityKindFromApi,
  operatorToApi,
  resourceTypeToApi,
  ruleTypeToApi,
  validationRuleFromApi,
} from '../inputs/ProtocolInputs.ts';

/** A resource of a protocol version as the API shows it: with the object's validation rule groups. */
export interface ProtocolResourceNode extends ProtocolResourceView {
  readonly validationRuleGroups: readonly ValidationRuleGroup[];
}

/** The version as projected after `position`; NOT_FOUND when it is not there. */
async function projectedProtocol(context: GraphQLContext, objectId: number, version: string, position: number | undefined): Promise<DeviceProtocolVersionView> {
  const { readYourWrites, protocolQueries } = context.services;
  await readYourWrites.written(position);
  const protocol = protocolQueries.get(objectId, version);
  if (!protocol) throw new DomainError('NOT_FOUND', `object ${objectId} has no device protocol version ${version}`, { objectId, version });
  return protocol;
}

/** A DDF error as JSON for `extensions.ddfErrors`: absent positions are null. */
function ddfErrorJson(error: DdfError) {
  return {
    code: error.code,
    message: error.message,
    line: error.line ?? null,
    column: error.column ?? null,
    element: error.element ?? null,
    objectIndex: error.objectIndex ?? null,
    objectId: error.objectId ?? null,
    resourceId: error.resourceId ?? null,
  };
}

export const protocolQueryResolvers: QueryResolvers = {
  deviceProtocols(_parent, _args, context) {
    requireRole(context, 'viewer');
    return [...context.services.protocolQueries.list()];
  },
  deviceProtocol(_parent, { objectId, version }, context) {
    requireRole(context, 'viewer');
    return context.services.protocolQueries.get(objectId, version) ?? null;
  },
  async validationRuleGroups(_parent, { objectId, resourceId }, context) {
    requireRole(context, 'viewer');
    return [...(await context.services.validationRules.ruleGroups(objectId, resourceId))];
  },
};

export const protocolMutationResolvers: MutationResolvers = {
  async uploadDeviceProtocol(_parent, { xml }, context) {
    requireRole(context, 'operator');
    const result = await context.services.protocols.importDdf(xml, requestContextOf(context));
    if (!result.ok) {
      throw new DomainError('BAD_USER_INPUT', `the DDF has ${result.errors.length} problem(s); nothing was stored: ${result.errors[0]?.message ?? ''}`, {
        ddfErrors: result.errors.map(ddfErrorJson),
      });
    }
    await context.services.readYourWrites.written(result.position);
    return { protocols: [...result.protocols] };
  },

  async setResourceFunctionality(_parent, { objectId, version, resourceId, functionality }, context) {
    requireRole(context, 'operator');
    const change = await context.services.protocols.setResourceFunctionality(
      { objectId, version, resourceId, functionality: functionalityFromApi(functionality) },
      requestContextOf(context),
    );
    return projectedProtocol(context, objectId, change.version, change.position);
  },

  async removeResourceFunctionality(_parent, { objectId, version, resourceId, kind }, context) {
    requireRole(context, 'operator');
    const change = await context.services.protocols.removeResourceFunctionality(
      { objectId, version, resourceId, kind: functionalityKindFromApi[kind] },
      requestContextOf(context),
    );
    return projectedProtocol(context, objectId, change.version, change.position);
  },

  async addValidationRuleGroup(_parent, { objectId, resourceId, groupId, rules }, context) {
    requireRole(context, 'operator');
    const change = await context.services.validationRules.addRuleGroup(
      { objectId, resourceId, groupId, rules: rules.map(validationRuleFromApi) },
      requestContextOf(context),
    );
    return [...change.groups];
  },

  async removeValidationRuleGroup(_parent, { objectId, resourceId, groupId }, context) {
    requireRole(context, 'operator');
    const change = await context.services.validationRules.removeRuleGroup({ objectId, resourceId, groupId }, requestContextOf(context));
    return [...change.groups];
  },
};

export const deviceProtocolTypeResolvers: DeviceProtocolResolvers = {
  multipleInstances: (protocol) => protocol.multiple,
  // One read of the object's rules for all its resources.
  async resources(protocol, _args, context) {
    const rules = await context.services.validationRules.ruleSet(protocol.objectId);
    return protocol.resources.map((resource) => ({ ...resource, validationRuleGroups: ruleGroupsOf(rules, protocol.objectId, resource.id) }));
  },
};

export const protocolResourceTypeResolvers: ProtocolResourceResolvers = {
  multipleInstances: (resource) => resource.multiple,
  type: (resource) => resourceTypeToApi[resource.type],
  validationRuleGroups: (resource) => [...resource.validationRuleGroups],
};

export const resourceFunctionalitiesTypeResolvers: ResourceFunctionalitiesResolvers = {
  autoObserve: (functionalities) => functionalities.autoObserve !== undefined,
};

export const customActionTypeResolvers: CustomActionResolvers = {
  name: (custom) => custom.action.name,
  fields: (custom) => (custom.action.name === 'decodePackedReading' ? [...custom.action.fields] : null),
  property: (custom) => (custom.action.name === 'mapToDeviceProperty' ? custom.action.property : null),
};

export const validationRuleTypeResolvers: ValidationRuleResolvers = {
  type: (rule) => ruleTypeToApi[rule.type],
  operator: (rule) => operatorToApi[rule.operator],
  value: (rule) => (rule.operand.kind === 'literal' ? rule.operand.value : null),
  resourcePath: (rule) => (rule.operand.kind === 'resource' ? rule.operand.path : null),
  description: (rule) => describeRule(rule),
};
