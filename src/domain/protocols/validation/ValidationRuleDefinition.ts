/**
 * Checks a validation rule group when it is defined, so that only rules that can be evaluated are
 * stored: the resource must be writable (the guide: "validation rules can only be added to resources
 * which have write permissions"), each rule's type must suit the resource's type and offer its
 * operator, literal operands must read as the rule type reads values, patterns must be safe, and
 * references must name a resource.
 */
import { DomainError } from '../../DomainError.ts';
import { InvalidPathError, parsePath, pathLevel } from '../../lwm2m/LwM2mPath.ts';
import type { ResourceModel } from '../../lwm2m/ObjectModel.ts';
import { isWritable } from '../../lwm2m/ObjectModel.ts';
import { readRuleValue } from './RuleValueReader.ts';
import { compileSafeRegex } from './SafeRegex.ts';
import type { ValidationRule } from './ValidationRule.ts';
import { OPERATORS_BY_RULE_TYPE, RULE_TYPES_BY_RESOURCE_TYPE, VALIDATION_OPERATORS, VALIDATION_RULE_TYPES } from './ValidationRule.ts';

export const MAX_RULES_PER_GROUP = 16;

export class InvalidValidationRuleError extends DomainError {
  readonly problems: readonly string[];

  constructor(resource: ResourceModel, problems: readonly string[]) {
    super('BAD_USER_INPUT', `invalid validation rules for resource ${resource.id} (${resource.name}): ${problems.join('; ')}`, {
      resourceId: resource.id,
      problems,
    });
    this.problems = problems;
  }
}

/** Throws InvalidValidationRuleError listing every problem, each prefixed with the rule's number (1-based). */
export function checkValidationRuleGroup(resource: ResourceModel, rules: readonly ValidationRule[]): void {
  const problems: string[] = [];
  if (!isWritable(resource)) {
    const operations = resource.operations === '' ? 'none' : resource.operations;
    problems.push(`validation rules apply to writable resources only, and this one is not (operations: ${operations})`);
  } else if (rules.length === 0) {
    problems.push('a group needs at least one rule');
  } else if (rules.length > MAX_RULES_PER_GROUP) {
    problems.push(`a group has at most ${MAX_RULES_PER_GROUP} rules, this one has ${rules.length}`);
  } else {
    rules.forEach((rule, index) => {
      const problem = ruleProblem(resource, rule);
      if (problem !== null) problems.push(`rule ${index + 1}: ${problem}`);
    });
  }
  if (problems.length > 0) throw new InvalidValidationRuleError(resource, problems);
}

function ruleProblem(resource: ResourceModel, rule: ValidationRule): string | null {
  // Rules arrive from GraphQL and events as data: the unions are checked, not trusted.
  if (!VALIDATION_RULE_TYPES.includes(rule.type)) return `unknown rule type "${String(rule.type)}" (types: ${VALIDATION_RULE_TYPES.join(', ')})`;
  if (!VALIDATION_OPERATORS.includes(rule.operator)) return `unknown operator "${String(rule.operator)}"`;
  const operators = OPERATORS_BY_RULE_TYPE[rule.type];
  if (!operators.includes(rule.operator)) {
    return `the operator ${rule.operator} is not available for ${rule.type} rules (available: ${operators.join(', ')})`;
  }
  if (resource.type === 'none') return 'the resource holds no value';
  const ruleTypes = RULE_TYPES_BY_RESOURCE_TYPE[resource.type];
  if (!ruleTypes.includes(rule.type)) {
    return `${rule.type} rules do not apply to ${resource.type} resources (rule types for them: ${ruleTypes.join(', ')})`;
  }
  const operand = rule.operand;
  if (operand.kind === 'resource') {
    if (rule.type === 'Regex') return 'a pattern must be a literal: patterns from device values are not vetted for safety';
    return referenceProblem(operand.path);
  }
  if (rule.type === 'Regex') {
    const compiled = compileSafeRegex(operand.value);
    return compiled.ok ? null : compiled.reason;
  }
  const read = readRuleValue(rule.type, resource.type, operand.value);
  return read.ok ? null : `the operand: ${read.reason}`;
}

function referenceProblem(path: string): string | null {
  try {
    const parsed = parsePath(path);
    const level = pathLevel(parsed);
    if (!path.startsWith('/') || (level !== 'resource' && level !== 'resourceInstance')) {
      return `the reference "${path}" must name a resource: /Object/Instance/Resource, e.g. /3/0/15`;
    }
    return null;
  } catch (error) {
    if (error instanceof InvalidPathError) return `the reference: ${error.message}`;
    throw error;
  }
}
