/**
 * The GraphQL inputs of device protocols and validation rules, turned into the domain's values, and
 * the domain's names in the API's enum spelling. GraphQL has no input unions, so a functionality (and
 * a custom action, and a rule's operand) is an input object of which exactly one field is given.
 */
import { DomainError } from '../../domain/DomainError.ts';
import type { ResourceType as DomainResourceType } from '../../domain/lwm2m/ObjectModel.ts';
import type { CustomActionConfig, PackedFieldType } from '../../domain/protocols/CustomActionRegistry.ts';
import type { FunctionalityInput as DomainFunctionalityInput, FunctionalityKind as DomainFunctionalityKind } from '../../domain/protocols/Functionality.ts';
import type { ValidationOperator as DomainOperator, ValidationRule, ValidationRuleType as DomainRuleType } from '../../domain/protocols/validation/ValidationRule.ts';
import type {
  CustomActionInput,
  FunctionalityInput,
  FunctionalityKind,
  ResourceType,
  ValidationOperator,
  ValidationRuleInput,
  ValidationRuleType,
} from '../generated/resolvers-types.ts';

export const functionalityKindFromApi: Readonly<Record<FunctionalityKind, DomainFunctionalityKind>> = {
  SEND_MEASUREMENT: 'sendMeasurement',
  CREATE_ALARM: 'createAlarm',
  SEND_EVENT: 'sendEvent',
  CUSTOM_ACTION: 'customAction',
  AUTO_OBSERVE: 'autoObserve',
};

export const resourceTypeToApi: Readonly<Record<DomainResourceType, ResourceType>> = {
  string: 'STRING',
  integer: 'INTEGER',
  unsigned: 'UNSIGNED',
  float: 'FLOAT',
  boolean: 'BOOLEAN',
  opaque: 'OPAQUE',
  time: 'TIME',
  objlnk: 'OBJLNK',
  corelnk: 'CORELNK',
  none: 'NONE',
};

export const ruleTypeFromApi: Readonly<Record<ValidationRuleType, DomainRuleType>> = {
  DATE: 'Date',
  NUMBER: 'Number',
  OBJECT_LINK: 'ObjectLink',
  REGEX: 'Regex',
  STRING: 'String',
};

export const operatorFromApi: Readonly<Record<ValidationOperator, DomainOperator>> = {
  GREATER_THAN: 'greaterThan',
  LOWER_THAN: 'lowerThan',
  EQUALS: 'equals',
  EQUALS_NOT: 'equalsNot',
  GREATER_OR_EQUALS: 'greaterOrEquals',
  LOWER_OR_EQUALS: 'lowerOrEquals',
};

export const ruleTypeToApi = invert(ruleTypeFromApi);
export const operatorToApi = invert(operatorFromApi);

function invert<Api extends string, Domain extends string>(map: Readonly<Record<Api, Domain>>): Readonly<Record<Domain, Api>> {
  return Object.fromEntries(Object.entries(map).map(([api, domain]) => [domain, api])) as Record<Domain, Api>;
}

/** The fields of an input that are given (neither absent nor null). */
function givenFields(input: object): string[] {
  return Object.entries(input)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name]) => name);
}

export function functionalityFromApi(input: FunctionalityInput): DomainFunctionalityInput {
  const given = givenFields(input);
  if (given.length !== 1) {
    throw new DomainError('BAD_USER_INPUT', `give exactly one functionality (sendMeasurement, createAlarm, sendEvent, customAction, autoObserve); got ${given.length}`, {
      given,
    });
  }
  if (input.sendMeasurement) return { kind: 'sendMeasurement', type: input.sendMeasurement.type, series: input.sendMeasurement.series, unit: input.sendMeasurement.unit ?? null };
  if (input.createAlarm) return { kind: 'createAlarm', ...input.createAlarm };
  if (input.sendEvent) return { kind: 'sendEvent', ...input.sendEvent };
  if (input.customAction) return { kind: 'customAction', action: customActionFromApi(input.customAction) };
  if (input.autoObserve !== true) {
    throw new DomainError('BAD_USER_INPUT', 'autoObserve: false sets nothing; remove the functionality with removeResourceFunctionality(kind: AUTO_OBSERVE)', {});
  }
  return { kind: 'autoObserve' };
}

function customActionFromApi(input: CustomActionInput): CustomActionConfig {
  const given = givenFields(input);
  if (given.length !== 1) {
    throw new DomainError('BAD_USER_INPUT', `give exactly one custom action (decodePackedReading, mapToDeviceProperty); got ${given.length}`, { given });
  }
  if (input.mapToDeviceProperty !== undefined && input.mapToDeviceProperty !== null) return { name: 'mapToDeviceProperty', property: input.mapToDeviceProperty };
  return {
    name: 'decodePackedReading',
    // The field types are checked against the registry's list by the domain (checkCustomAction).
    fields: (input.decodePackedReading ?? []).map((field) => ({
      type: field.type as PackedFieldType,
      measurementType: field.measurementType,
      series: field.series,
      unit: field.unit,
      scale: field.scale ?? 1,
    })),
  };
}

export function validationRuleFromApi(input: ValidationRuleInput, index: number): ValidationRule {
  const hasValue = input.value !== undefined && input.value !== null;
  const hasPath = input.resourcePath !== undefined && input.resourcePath !== null;
  if (hasValue === hasPath) throw new DomainError('BAD_USER_INPUT', `rule ${index + 1}: give exactly one of value and resourcePath`, { rule: index + 1 });
  return {
    type: ruleTypeFromApi[input.type],
    operator: operatorFromApi[input.operator],
    operand: hasValue ? { kind: 'literal', value: input.value ?? '' } : { kind: 'resource', path: input.resourcePath ?? '' },
  };
}
