/**
 * Evaluates a resource's validation rule groups against a value about to be written: valid if any
 * group holds, a group holding if all its rules do (disjunctive normal form, as the guide's "Complex
 * rulesets" says). An invalid outcome lists, for every group, the rules that failed and why, in words
 * a person understands. A rule whose operand is another resource's current value fails when that
 * value is not known: refusing is safer than guessing.
 */
import type { LwM2mPath } from '../../lwm2m/LwM2mPath.ts';
import { InvalidPathError, parsePath } from '../../lwm2m/LwM2mPath.ts';
import type { ResourceModel } from '../../lwm2m/ObjectModel.ts';
import type { RuleValue } from './RuleValueReader.ts';
import { readRuleValue } from './RuleValueReader.ts';
import { compileSafeRegex, matchesWhole } from './SafeRegex.ts';
import type { ValidationOperator, ValidationRule, ValidationRuleGroup } from './ValidationRule.ts';
import { describeRule } from './ValidationRule.ts';

export interface ValidationContext {
  /** The model of the resource being written. */
  readonly resource: ResourceModel;
  /** The current value of another resource of the same device, as text; undefined when not known. */
  readonly currentValue: (path: LwM2mPath) => string | undefined;
}

export interface RuleFailure {
  /** 1-based position of the rule in its group. */
  readonly ruleNumber: number;
  readonly rule: ValidationRule;
  readonly reason: string;
}

export interface GroupFailure {
  readonly groupId: string;
  readonly failures: readonly RuleFailure[];
}

export type ValidationOutcome =
  /** `groupId`: the first group that holds; null when the resource has no rules. */
  | { readonly valid: true; readonly groupId: string | null }
  | { readonly valid: false; readonly groups: readonly GroupFailure[]; readonly message: string };

export function evaluateValidationRules(
  groups: readonly ValidationRuleGroup[],
  input: string,
  context: ValidationContext,
): ValidationOutcome {
  if (groups.length === 0) return { valid: true, groupId: null };
  const failedGroups: GroupFailure[] = [];
  for (const group of groups) {
    const failures: RuleFailure[] = [];
    group.rules.forEach((rule, index) => {
      const reason = ruleFailure(rule, input, context);
      if (reason !== null) failures.push({ ruleNumber: index + 1, rule, reason });
    });
    if (failures.length === 0) return { valid: true, groupId: group.groupId };
    failedGroups.push({ groupId: group.groupId, failures });
  }
  return { valid: false, groups: failedGroups, message: describeFailure(input, failedGroups) };
}

function describeFailure(input: string, groups: readonly GroupFailure[]): string {
  const parts = groups.map((group) => {
    const rules = group.failures.map((failure) => `rule ${failure.ruleNumber} (${describeRule(failure.rule)}): ${failure.reason}`);
    return `group "${group.groupId}": ${rules.join(', ')}`;
  });
  const which = groups.length === 1 ? 'the validation rule group' : `any of the ${groups.length} validation rule groups`;
  return `the value ${JSON.stringify(input)} does not satisfy ${which}: ${parts.join('; ')}`;
}

/** Why the rule does not hold for `input`, or null when it holds. */
function ruleFailure(rule: ValidationRule, input: string, context: ValidationContext): string | null {
  const resourceType = context.resource.type;
  if (resourceType === 'none') return 'the resource holds no value';
  const operand = operandText(rule, context);
  if (!operand.ok) return operand.reason;

  if (rule.type === 'Regex') {
    const compiled = compileSafeRegex(operand.text);
    if (!compiled.ok) return `the pattern cannot be used: ${compiled.reason}`;
    const match = matchesWhole(compiled.regex, input);
    if (!match.ok) return match.reason;
    const wanted = rule.operator === 'equals';
    if (match.matches === wanted) return null;
    return `${JSON.stringify(input)} ${wanted ? 'must match' : 'must not match'} the pattern ${JSON.stringify(operand.text)}`;
  }

  const value = readRuleValue(rule.type, resourceType, input);
  if (!value.ok) return `the value cannot be compared: ${value.reason}`;
  const other = readRuleValue(rule.type, resourceType, operand.text);
  if (!other.ok) return `${operand.description} cannot be compared: ${other.reason}`;
  if (holds(rule.operator, value.value, other.value)) return null;
  return `${JSON.stringify(input)} ${OPERATOR_DEMANDS[rule.operator]} ${operand.description}`;
}

type OperandText =
  | { readonly ok: true; readonly text: string; readonly description: string }
  | { readonly ok: false; readonly reason: string };

function operandText(rule: ValidationRule, context: ValidationContext): OperandText {
  const operand = rule.operand;
  if (operand.kind === 'literal') return { ok: true, text: operand.value, description: JSON.stringify(operand.value) };
  let path: LwM2mPath;
  try {
    path = parsePath(operand.path);
  } catch (error) {
    if (error instanceof InvalidPathError) return { ok: false, reason: `the reference cannot be used: ${error.message}` };
    throw error;
  }
  const current = context.currentValue(path);
  if (current === undefined) return { ok: false, reason: `the current value of ${operand.path} is not known` };
  return { ok: true, text: current, description: `the current value of ${operand.path} (${JSON.stringify(current)})` };
}

const OPERATOR_DEMANDS: Readonly<Record<ValidationOperator, string>> = {
  greaterThan: 'must be greater than',
  lowerThan: 'must be lower than',
  equals: 'must equal',
  equalsNot: 'must not equal',
  greaterOrEquals: 'must be greater than or equal to',
  lowerOrEquals: 'must be lower than or equal to',
};

function holds(operator: ValidationOperator, left: RuleValue, right: RuleValue): boolean {
  if (left.kind === 'ordered' && right.kind === 'ordered') {
    switch (operator) {
      case 'greaterThan':
        return left.value > right.value;
      case 'lowerThan':
        return left.value < right.value;
      case 'greaterOrEquals':
        return left.value >= right.value;
      case 'lowerOrEquals':
        return left.value <= right.value;
      case 'equals':
        return left.value === right.value;
      case 'equalsNot':
        return left.value !== right.value;
    }
  }
  // Links and texts are only equal or not (OPERATORS_BY_RULE_TYPE offers nothing else for them).
  const equal = sameValue(left, right);
  if (operator === 'equals') return equal;
  if (operator === 'equalsNot') return !equal;
  return false;
}

function sameValue(left: RuleValue, right: RuleValue): boolean {
  if (left.kind === 'link' && right.kind === 'link') {
    return left.ids.length === right.ids.length && left.ids.every((id, index) => id === right.ids[index]);
  }
  if (left.kind === 'text' && right.kind === 'text') return left.value === right.value;
  return false;
}
