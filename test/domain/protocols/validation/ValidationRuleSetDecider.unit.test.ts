import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../../src/domain/Decider.ts';
import { DomainError } from '../../../../src/domain/DomainError.ts';
import type { ResourceModel } from '../../../../src/domain/lwm2m/ObjectModel.ts';
import type { ValidationOperator, ValidationRule, ValidationRuleType } from '../../../../src/domain/protocols/validation/ValidationRule.ts';
import { OPERATORS_BY_RULE_TYPE, VALIDATION_OPERATORS } from '../../../../src/domain/protocols/validation/ValidationRule.ts';
import { InvalidValidationRuleError, MAX_RULES_PER_GROUP } from '../../../../src/domain/protocols/validation/ValidationRuleDefinition.ts';
import type { ValidationRuleEvent } from '../../../../src/domain/protocols/validation/ValidationRuleEvents.ts';
import { isValidationRuleEvent } from '../../../../src/domain/protocols/validation/ValidationRuleEvents.ts';
import type { ValidationRuleSetCommand } from '../../../../src/domain/protocols/validation/ValidationRuleSetDecider.ts';
import { MAX_GROUPS_PER_RESOURCE, ruleGroupsOf, validationRuleSetDecider } from '../../../../src/domain/protocols/validation/ValidationRuleSetDecider.ts';
import { resourceOf, utcOffset } from './ValidationTestResources.ts';

const literal = (value: string) => ({ kind: 'literal', value }) as const;

function rule(type: ValidationRuleType, operator: ValidationOperator, operand: ValidationRule['operand']): ValidationRule {
  return { type, operator, operand };
}

const notTest = rule('String', 'equalsNot', literal('test'));
const endsWithAsd = rule('Regex', 'equals', literal('.*asd'));
const sameAsTimezone = rule('String', 'equals', { kind: 'resource', path: '/3/0/15' });

function add(groupId: string, rules: readonly ValidationRule[], resource: ResourceModel = utcOffset): ValidationRuleSetCommand {
  return { type: 'AddValidationRuleGroup', objectId: 3, resource, groupId, rules };
}

function added(groupId: string, rules: readonly ValidationRule[], resourceId = 14): ValidationRuleEvent {
  return { type: 'ValidationRuleGroupAdded', data: { objectId: 3, resourceId, groupId, rules } };
}

function decide(given: readonly ValidationRuleEvent[], command: ValidationRuleSetCommand): ValidationRuleEvent[] {
  return validationRuleSetDecider.decide(command, foldEvents(validationRuleSetDecider, given));
}

/** The problems of the InvalidValidationRuleError that `run` throws. */
function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidValidationRuleError) {
      expect(error.code).toBe('BAD_USER_INPUT');
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected an InvalidValidationRuleError');
}

function domainError(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('ValidationRuleSetDecider: adding and removing groups', () => {
  it("adds the guide's two groups to /3/0/14 and keeps them in order", () => {
    const first = decide([], add('not-test', [notTest]));
    expect(first).toEqual([added('not-test', [notTest])]);
    const second = decide(first, add('asd-like-timezone', [endsWithAsd, sameAsTimezone]));
    expect(second).toEqual([added('asd-like-timezone', [endsWithAsd, sameAsTimezone])]);
    const state = foldEvents(validationRuleSetDecider, [...first, ...second]);
    expect(ruleGroupsOf(state, 3, 14)).toEqual([
      { groupId: 'not-test', rules: [notTest] },
      { groupId: 'asd-like-timezone', rules: [endsWithAsd, sameAsTimezone] },
    ]);
    expect(ruleGroupsOf(state, 3, 15)).toEqual([]);
    expect(ruleGroupsOf(state, 4, 14)).toEqual([]);
  });

  it('removes a group', () => {
    const given = [added('a', [notTest]), added('b', [endsWithAsd])];
    const removed = decide(given, { type: 'RemoveValidationRuleGroup', objectId: 3, resourceId: 14, groupId: 'a' });
    expect(removed).toEqual([{ type: 'ValidationRuleGroupRemoved', data: { objectId: 3, resourceId: 14, groupId: 'a' } }]);
    const state = foldEvents(validationRuleSetDecider, [...given, ...removed]);
    expect(ruleGroupsOf(state, 3, 14)).toEqual([{ groupId: 'b', rules: [endsWithAsd] }]);
    const empty = foldEvents(validationRuleSetDecider, [...given, ...removed, ...decide([...given, ...removed], { type: 'RemoveValidationRuleGroup', objectId: 3, resourceId: 14, groupId: 'b' })]);
    expect(ruleGroupsOf(empty, 3, 14)).toEqual([]);
    expect(empty.groups.size).toBe(0);
  });

  it('refuses a group id that is already used on the resource (CONFLICT), but not on another resource', () => {
    const error = domainError(() => decide([added('a', [notTest])], add('a', [endsWithAsd])));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('resource 14 (UTC Offset) of object 3 already has a validation rule group "a"');
    const timezone = { ...resourceOf('string'), id: 15, name: 'Timezone' };
    expect(decide([added('a', [notTest])], add('a', [notTest], timezone))).toEqual([added('a', [notTest], 15)]);
  });

  it('refuses to remove a group that does not exist (NOT_FOUND)', () => {
    const error = domainError(() => decide([added('a', [notTest])], { type: 'RemoveValidationRuleGroup', objectId: 3, resourceId: 14, groupId: 'b' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('resource 14 of object 3 has no validation rule group "b"');
  });

  it('limits the number of groups per resource (LIMIT_EXCEEDED) and the length of group ids', () => {
    const full = Array.from({ length: MAX_GROUPS_PER_RESOURCE }, (_, index) => added(`g${index}`, [notTest]));
    const error = domainError(() => decide(full, add('one-more', [notTest])));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(domainError(() => decide([], add('', [notTest]))).code).toBe('BAD_USER_INPUT');
    expect(domainError(() => decide([], add('x'.repeat(65), [notTest]))).code).toBe('BAD_USER_INPUT');
  });

  it('picks its events out of a protocol stream that holds other events', () => {
    expect(isValidationRuleEvent({ type: 'ValidationRuleGroupAdded' })).toBe(true);
    expect(isValidationRuleEvent({ type: 'ValidationRuleGroupRemoved' })).toBe(true);
    expect(isValidationRuleEvent({ type: 'DeviceProtocolCreated' })).toBe(false);
  });
});

describe('ValidationRuleSetDecider: rules are checked when they are defined', () => {
  it('refuses rules on a resource without write permission', () => {
    for (const operations of ['R', 'E', ''] as const) {
      const resource = resourceOf(operations === 'E' ? 'none' : 'string', operations);
      expect(problems(() => decide([], add('g', [notTest], resource)))).toEqual([
        `validation rules apply to writable resources only, and this one is not (operations: ${operations === '' ? 'none' : operations})`,
      ]);
    }
    expect(decide([], add('g', [notTest], resourceOf('string', 'W')))).toHaveLength(1);
  });

  it('refuses an empty group and a group with too many rules', () => {
    expect(problems(() => decide([], add('g', [])))).toEqual(['a group needs at least one rule']);
    expect(problems(() => decide([], add('g', Array.from({ length: MAX_RULES_PER_GROUP + 1 }, () => notTest))))).toEqual([
      `a group has at most ${MAX_RULES_PER_GROUP} rules, this one has ${MAX_RULES_PER_GROUP + 1}`,
    ]);
  });

  const orderedOnly: ValidationOperator[] = ['greaterThan', 'lowerThan', 'greaterOrEquals', 'lowerOrEquals'];
  const disallowed: { type: ValidationRuleType; operator: ValidationOperator; resource: ResourceModel; operand: string }[] = [
    ...orderedOnly.map((operator) => ({ type: 'String' as const, operator, resource: resourceOf('string'), operand: 'x' })),
    ...orderedOnly.map((operator) => ({ type: 'Regex' as const, operator, resource: resourceOf('string'), operand: 'x' })),
    ...orderedOnly.map((operator) => ({ type: 'ObjectLink' as const, operator, resource: resourceOf('objlnk'), operand: '3:0' })),
  ];

  it.each(disallowed)('refuses the operator $operator for $type rules', ({ type, operator, resource, operand }) => {
    const allowed = OPERATORS_BY_RULE_TYPE[type].join(', ');
    expect(allowed).toBe('equals, equalsNot');
    expect(problems(() => decide([], add('g', [rule(type, operator, literal(operand))], resource)))).toEqual([
      `rule 1: the operator ${operator} is not available for ${type} rules (available: ${allowed})`,
    ]);
  });

  it('offers all six operators for Date and Number rules', () => {
    for (const operator of VALIDATION_OPERATORS) {
      expect(decide([], add('g', [rule('Number', operator, literal('5'))], resourceOf('integer')))).toHaveLength(1);
      expect(decide([], add('g', [rule('Date', operator, literal('2026-01-01T00:00:00Z'))], resourceOf('time')))).toHaveLength(1);
    }
  });

  it("refuses a rule type that does not suit the resource's type", () => {
    expect(problems(() => decide([], add('g', [rule('Number', 'equals', literal('1'))], resourceOf('string'))))).toEqual([
      'rule 1: Number rules do not apply to string resources (rule types for them: String, Regex, ObjectLink)',
    ]);
    expect(problems(() => decide([], add('g', [rule('Date', 'equals', literal('0'))], resourceOf('integer'))))).toEqual([
      'rule 1: Date rules do not apply to integer resources (rule types for them: Number, String, Regex)',
    ]);
    expect(problems(() => decide([], add('g', [rule('ObjectLink', 'equals', literal('3:0'))], resourceOf('boolean'))))).toEqual([
      'rule 1: ObjectLink rules do not apply to boolean resources (rule types for them: String, Regex)',
    ]);
  });

  it('refuses literal operands the rule type cannot read, naming every bad rule', () => {
    expect(
      problems(() =>
        decide(
          [],
          add('g', [rule('Number', 'greaterThan', literal('1.5')), rule('Number', 'lowerThan', literal('100')), rule('Number', 'equalsNot', literal('ten'))], resourceOf('integer')),
        ),
      ),
    ).toEqual([
      'rule 1: the operand: invalid integer value "1.5": expected a decimal integer',
      'rule 3: the operand: invalid integer value "ten": expected a decimal integer',
    ]);
    expect(problems(() => decide([], add('g', [rule('Date', 'greaterThan', literal('next week'))], resourceOf('time'))))).toEqual([
      'rule 1: the operand: invalid time value "next week": expected seconds since the epoch or an ISO 8601 date-time with a zone',
    ]);
    expect(problems(() => decide([], add('g', [rule('ObjectLink', 'equals', literal('3/0/15'))], resourceOf('string'))))).toEqual([
      'rule 1: the operand: invalid object link "3/0/15": expected /Object/Instance/Resource (e.g. /3/0/15) or Object:Instance (e.g. 3:0)',
    ]);
  });

  it('refuses unsafe or invalid patterns, and patterns taken from a resource', () => {
    expect(problems(() => decide([], add('g', [rule('Regex', 'equals', literal('(a+)+'))])))).toEqual([
      'rule 1: a repeated group contains a quantifier, like (a+)+: such nested quantifiers can take exponential time',
    ]);
    expect(problems(() => decide([], add('g', [rule('Regex', 'equals', literal('[a-'))])))[0]).toMatch(/^rule 1: the pattern is not a valid regular expression/);
    expect(problems(() => decide([], add('g', [rule('Regex', 'equals', { kind: 'resource', path: '/3/0/15' })])))).toEqual([
      'rule 1: a pattern must be a literal: patterns from device values are not vetted for safety',
    ]);
  });

  it('refuses references that do not name a resource', () => {
    const refer = (path: string) => rule('String', 'equals', { kind: 'resource', path });
    expect(problems(() => decide([], add('g', [refer('/3/0')])))).toEqual([
      'rule 1: the reference "/3/0" must name a resource: /Object/Instance/Resource, e.g. /3/0/15',
    ]);
    expect(problems(() => decide([], add('g', [refer('3/0/15')])))).toEqual([
      'rule 1: the reference "3/0/15" must name a resource: /Object/Instance/Resource, e.g. /3/0/15',
    ]);
    expect(problems(() => decide([], add('g', [refer('/3/zero/15')])))).toEqual([
      'rule 1: the reference: invalid LwM2M path "/3/zero/15": level 2 ("zero") is not an id from 0 to 65534',
    ]);
    expect(decide([], add('g', [refer('/3/0/6/1')]))).toHaveLength(1);
  });

  it('refuses rule types and operators outside the unions (data from GraphQL or old events)', () => {
    const bogusType = { type: 'Colour', operator: 'equals', operand: literal('red') } as unknown as ValidationRule;
    const bogusOperator = { type: 'String', operator: 'contains', operand: literal('red') } as unknown as ValidationRule;
    expect(problems(() => decide([], add('g', [bogusType, bogusOperator])))).toEqual([
      'rule 1: unknown rule type "Colour" (types: Date, Number, ObjectLink, Regex, String)',
      'rule 2: unknown operator "contains"',
    ]);
  });
});
