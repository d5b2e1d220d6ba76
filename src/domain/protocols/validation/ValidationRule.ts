/**
 * Validation rules of a writable resource (the agent guide, "Adding validation rules to resources"):
 * what a value written to the resource must satisfy before the write is queued. Rules form groups;
 * every rule of a group must hold (AND) and the value is valid if any group holds (OR): a Boolean
 * disjunctive normal form.
 */
import type { LwM2mValueType } from '../../lwm2m/LwM2mValue.ts';

export type ValidationRuleType = 'Date' | 'Number' | 'ObjectLink' | 'Regex' | 'String';

export type ValidationOperator = 'greaterThan' | 'lowerThan' | 'equals' | 'equalsNot' | 'greaterOrEquals' | 'lowerOrEquals';

/**
 * What the value is compared with: a literal, or the current value of another resource of the same
 * device (e.g. `/3/0/15`), looked up when the rule is evaluated.
 */
export type RuleOperand =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'resource'; readonly path: string };

export interface ValidationRule {
  readonly type: ValidationRuleType;
  readonly operator: ValidationOperator;
  readonly operand: RuleOperand;
}

/** Rules that must all hold. `groupId` is chosen by the caller (the domain makes no ids). */
export interface ValidationRuleGroup {
  readonly groupId: string;
  readonly rules: readonly ValidationRule[];
}

export const VALIDATION_RULE_TYPES: readonly ValidationRuleType[] = ['Date', 'Number', 'ObjectLink', 'Regex', 'String'];

export const VALIDATION_OPERATORS: readonly ValidationOperator[] = [
  'greaterThan',
  'lowerThan',
  'equals',
  'equalsNot',
  'greaterOrEquals',
  'lowerOrEquals',
];

/**
 * The operators each rule type offers ("not all rules are available to each type", says the guide).
 * Dates and numbers are ordered; links, patterns and strings are only equal or not. For Regex,
 * equals means "matches the pattern" and equalsNot "does not match".
 */
export const OPERATORS_BY_RULE_TYPE: Readonly<Record<ValidationRuleType, readonly ValidationOperator[]>> = {
  Date: VALIDATION_OPERATORS,
  Number: VALIDATION_OPERATORS,
  ObjectLink: ['equals', 'equalsNot'],
  Regex: ['equals', 'equalsNot'],
  String: ['equals', 'equalsNot'],
};

/**
 * The rule types that make sense for a resource's data type (LwM2M Core 1.1 Appendix C). String and
 * Regex compare the value as it is written, so they apply to every type; Number needs an Integer,
 * Unsigned Integer or Float resource (and compares as that type), Date a Time resource, ObjectLink an
 * Objlnk resource or a String resource that holds a path.
 */
export const RULE_TYPES_BY_RESOURCE_TYPE: Readonly<Record<LwM2mValueType, readonly ValidationRuleType[]>> = {
  string: ['String', 'Regex', 'ObjectLink'],
  integer: ['Number', 'String', 'Regex'],
  unsigned: ['Number', 'String', 'Regex'],
  float: ['Number', 'String', 'Regex'],
  boolean: ['String', 'Regex'],
  opaque: ['String', 'Regex'],
  time: ['Date', 'String', 'Regex'],
  objlnk: ['ObjectLink', 'String', 'Regex'],
  corelnk: ['String', 'Regex'],
};

const OPERATOR_WORDS: Readonly<Record<ValidationOperator, string>> = {
  greaterThan: 'greater than',
  lowerThan: 'lower than',
  equals: 'equals',
  equalsNot: 'equals not',
  greaterOrEquals: 'greater or equals',
  lowerOrEquals: 'lower or equals',
};

export function describeOperand(operand: RuleOperand): string {
  return operand.kind === 'literal' ? JSON.stringify(operand.value) : `the current value of ${operand.path}`;
}

/** "String equals not \"test\"", "Regex equals \".*asd\"": how a person reads a rule. */
export function describeRule(rule: ValidationRule): string {
  return `${rule.type} ${OPERATOR_WORDS[rule.operator]} ${describeOperand(rule.operand)}`;
}
