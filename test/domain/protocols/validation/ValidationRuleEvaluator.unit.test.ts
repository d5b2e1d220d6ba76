import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LwM2mPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import { formatPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import type { ResourceModel } from '../../../../src/domain/lwm2m/ObjectModel.ts';
import type { ValidationOperator, ValidationRule, ValidationRuleGroup, ValidationRuleType } from '../../../../src/domain/protocols/validation/ValidationRule.ts';
import type { ValidationOutcome } from '../../../../src/domain/protocols/validation/ValidationRuleEvaluator.ts';
import { evaluateValidationRules } from '../../../../src/domain/protocols/validation/ValidationRuleEvaluator.ts';
import { resourceOf, utcOffset } from './ValidationTestResources.ts';

const literal = (value: string) => ({ kind: 'literal', value }) as const;
const reference = (path: string) => ({ kind: 'resource', path }) as const;

function rule(type: ValidationRuleType, operator: ValidationOperator, operand: ValidationRule['operand']): ValidationRule {
  return { type, operator, operand };
}

function currentValues(values: Record<string, string>): (path: LwM2mPath) => string | undefined {
  return (path) => values[formatPath(path)];
}

function evaluate(resource: ResourceModel, groups: ValidationRuleGroup[], input: string, values: Record<string, string> = {}): ValidationOutcome {
  return evaluateValidationRules(groups, input, { resource, currentValue: currentValues(values) });
}

function single(resource: ResourceModel, validationRule: ValidationRule, input: string, values: Record<string, string> = {}): ValidationOutcome {
  return evaluate(resource, [{ groupId: 'g', rules: [validationRule] }], input, values);
}

/** The reason of the only failing rule of the only group. */
function reasonOf(outcome: ValidationOutcome): string {
  if (outcome.valid) throw new Error('expected an invalid outcome');
  const [group] = outcome.groups;
  const [failure] = group?.failures ?? [];
  if (failure === undefined) throw new Error('expected one failure');
  return failure.reason;
}

interface MatrixCase {
  readonly resource: ResourceModel;
  readonly type: ValidationRuleType;
  readonly operator: ValidationOperator;
  readonly operand: string;
  readonly holds: string;
  readonly fails: string;
  /** The reason given for `fails`. */
  readonly reason: string;
}

const integer = resourceOf('integer');
const unsigned = resourceOf('unsigned');
const float = resourceOf('float');
const time = resourceOf('time');
const objlnk = resourceOf('objlnk');
const text = resourceOf('string');
const boolean = resourceOf('boolean');

// Every rule type with every operator it offers: a value for which the rule holds, one for which it fails.
const matrix: MatrixCase[] = [
  { resource: integer, type: 'Number', operator: 'greaterThan', operand: '10', holds: '11', fails: '10', reason: '"10" must be greater than "10"' },
  { resource: integer, type: 'Number', operator: 'lowerThan', operand: '10', holds: '-3', fails: '10', reason: '"10" must be lower than "10"' },
  { resource: integer, type: 'Number', operator: 'equals', operand: '10', holds: '+10', fails: '11', reason: '"11" must equal "10"' },
  { resource: integer, type: 'Number', operator: 'equalsNot', operand: '10', holds: '11', fails: '10', reason: '"10" must not equal "10"' },
  { resource: integer, type: 'Number', operator: 'greaterOrEquals', operand: '10', holds: '10', fails: '9', reason: '"9" must be greater than or equal to "10"' },
  { resource: integer, type: 'Number', operator: 'lowerOrEquals', operand: '10', holds: '10', fails: '11', reason: '"11" must be lower than or equal to "10"' },
  // Exact beyond 2^53: as doubles both would be 9223372036854775808.
  { resource: integer, type: 'Number', operator: 'greaterThan', operand: '9223372036854775806', holds: '9223372036854775807', fails: '9223372036854775806', reason: '"9223372036854775806" must be greater than "9223372036854775806"' },
  { resource: unsigned, type: 'Number', operator: 'lowerThan', operand: '18446744073709551615', holds: '18446744073709551614', fails: '18446744073709551615', reason: '"18446744073709551615" must be lower than "18446744073709551615"' },
  { resource: float, type: 'Number', operator: 'greaterThan', operand: '2.5', holds: '2.51', fails: '2.5', reason: '"2.5" must be greater than "2.5"' },
  { resource: float, type: 'Number', operator: 'lowerThan', operand: '-2.5', holds: '-1e3', fails: '0', reason: '"0" must be lower than "-2.5"' },
  { resource: float, type: 'Number', operator: 'equals', operand: '2.5', holds: '2.50', fails: '2.4', reason: '"2.4" must equal "2.5"' },
  { resource: float, type: 'Number', operator: 'equalsNot', operand: '2.5', holds: '2.4', fails: '25e-1', reason: '"25e-1" must not equal "2.5"' },
  { resource: float, type: 'Number', operator: 'greaterOrEquals', operand: '2.5', holds: '2.5', fails: '2.49', reason: '"2.49" must be greater than or equal to "2.5"' },
  { resource: float, type: 'Number', operator: 'lowerOrEquals', operand: '2.5', holds: '2.5', fails: '2.51', reason: '"2.51" must be lower than or equal to "2.5"' },
  // 2026-01-01T00:00:00Z is 1767225600 seconds since the epoch: both spellings of a Time compare.
  { resource: time, type: 'Date', operator: 'greaterThan', operand: '2026-01-01T00:00:00Z', holds: '2026-01-01T00:00:01Z', fails: '1767225600', reason: '"1767225600" must be greater than "2026-01-01T00:00:00Z"' },
  { resource: time, type: 'Date', operator: 'lowerThan', operand: '2026-01-01T00:00:00Z', holds: '1767225599', fails: '2026-01-01T01:00:00+01:00', reason: '"2026-01-01T01:00:00+01:00" must be lower than "2026-01-01T00:00:00Z"' },
  { resource: time, type: 'Date', operator: 'equals', operand: '2026-01-01T00:00:00Z', holds: '1767225600', fails: '1767225601', reason: '"1767225601" must equal "2026-01-01T00:00:00Z"' },
  { resource: time, type: 'Date', operator: 'equalsNot', operand: '1767225600', holds: '0', fails: '2026-01-01T00:00:00Z', reason: '"2026-01-01T00:00:00Z" must not equal "1767225600"' },
  { resource: time, type: 'Date', operator: 'greaterOrEquals', operand: '1767225600', holds: '1767225600', fails: '2025-12-31T23:59:59Z', reason: '"2025-12-31T23:59:59Z" must be greater than or equal to "1767225600"' },
  { resource: time, type: 'Date', operator: 'lowerOrEquals', operand: '1767225600', holds: '2025-12-31T23:59:59Z', fails: '1767225601', reason: '"1767225601" must be lower than or equal to "1767225600"' },
  { resource: objlnk, type: 'ObjectLink', operator: 'equals', operand: '/3/0', holds: '3:0', fails: '3:1', reason: '"3:1" must equal "/3/0"' },
  { resource: objlnk, type: 'ObjectLink', operator: 'equalsNot', operand: '3:0', holds: '/4/0', fails: '/3/0', reason: '"/3/0" must not equal "3:0"' },
  { resource: text, type: 'ObjectLink', operator: 'equals', operand: '/3/0/15', holds: '/3/0/15', fails: '/3/0/14', reason: '"/3/0/14" must equal "/3/0/15"' },
  { resource: text, type: 'ObjectLink', operator: 'equalsNot', operand: '/3/0/15', holds: '/3/0', fails: '/3/0/15', reason: '"/3/0/15" must not equal "/3/0/15"' },
  { resource: text, type: 'Regex', operator: 'equals', operand: '.*dd', holds: 'odd', fails: 'oddity', reason: '"oddity" must match the pattern ".*dd"' },
  { resource: text, type: 'Regex', operator: 'equalsNot', operand: '.*dd', holds: 'oddity', fails: 'odd', reason: '"odd" must not match the pattern ".*dd"' },
  { resource: integer, type: 'Regex', operator: 'equals', operand: '[0-9]{2}', holds: '42', fails: '420', reason: '"420" must match the pattern "[0-9]{2}"' },
  { resource: text, type: 'String', operator: 'equals', operand: 'test', holds: 'test', fails: 'Test', reason: '"Test" must equal "test"' },
  { resource: text, type: 'String', operator: 'equalsNot', operand: 'test', holds: 'test ', fails: 'test', reason: '"test" must not equal "test"' },
  { resource: boolean, type: 'String', operator: 'equals', operand: 'true', holds: 'true', fails: 'false', reason: '"false" must equal "true"' },
  { resource: time, type: 'String', operator: 'equalsNot', operand: '0', holds: '1', fails: '0', reason: '"0" must not equal "0"' },
];

describe('ValidationRuleEvaluator: every rule type with every operator it offers', () => {
  it.each(matrix)('$type $operator $operand on a $resource.type resource', ({ resource, type, operator, operand, holds, fails, reason }) => {
    const validationRule = rule(type, operator, literal(operand));
    expect(single(resource, validationRule, holds)).toEqual({ valid: true, groupId: 'g' });
    const outcome = single(resource, validationRule, fails);
    expect(outcome).toEqual({
      valid: false,
      groups: [{ groupId: 'g', failures: [{ ruleNumber: 1, rule: validationRule, reason }] }],
      message: expect.stringContaining(reason) as unknown,
    });
  });

  it('fails a rule whose value the rule type cannot read, saying why', () => {
    expect(reasonOf(single(integer, rule('Number', 'greaterThan', literal('1')), 'lots'))).toBe(
      'the value cannot be compared: invalid integer value "lots": expected a decimal integer',
    );
    expect(reasonOf(single(time, rule('Date', 'lowerThan', literal('0')), 'tomorrow'))).toBe(
      'the value cannot be compared: invalid time value "tomorrow": expected seconds since the epoch or an ISO 8601 date-time with a zone',
    );
    expect(reasonOf(single(objlnk, rule('ObjectLink', 'equals', literal('/3/0')), '3-0'))).toBe(
      'the value cannot be compared: invalid object link "3-0": expected /Object/Instance/Resource (e.g. /3/0/15) or Object:Instance (e.g. 3:0)',
    );
  });

  it('fails a pattern rule on a value longer than the input limit', () => {
    expect(reasonOf(single(text, rule('Regex', 'equalsNot', literal('x')), 'a'.repeat(300)))).toBe(
      'the value is longer than 256 characters, the limit for pattern rules',
    );
  });
});

describe('ValidationRuleEvaluator: operands that reference another resource of the device', () => {
  it('compares with the current value of the referenced resource', () => {
    const sameAsTimezone = rule('String', 'equals', reference('/3/0/15'));
    expect(single(utcOffset, sameAsTimezone, 'Europe/Berlin', { '/3/0/15': 'Europe/Berlin' })).toEqual({ valid: true, groupId: 'g' });
    expect(reasonOf(single(utcOffset, sameAsTimezone, 'UTC', { '/3/0/15': 'Europe/Berlin' }))).toBe(
      '"UTC" must equal the current value of /3/0/15 ("Europe/Berlin")',
    );
  });

  it('reads the referenced value as the rule type does', () => {
    const belowMaximum = rule('Number', 'lowerOrEquals', reference('/1/0/1'));
    expect(single(integer, belowMaximum, '300', { '/1/0/1': '300' }).valid).toBe(true);
    expect(reasonOf(single(integer, belowMaximum, '301', { '/1/0/1': '300' }))).toBe(
      '"301" must be lower than or equal to the current value of /1/0/1 ("300")',
    );
    expect(reasonOf(single(integer, belowMaximum, '1', { '/1/0/1': 'n/a' }))).toBe(
      'the current value of /1/0/1 ("n/a") cannot be compared: invalid integer value "n/a": expected a decimal integer',
    );
  });

  it('fails the rule with a clear reason when the current value is not known', () => {
    expect(reasonOf(single(utcOffset, rule('String', 'equalsNot', reference('/3/0/15')), 'x'))).toBe(
      'the current value of /3/0/15 is not known',
    );
  });
});

describe("ValidationRuleEvaluator: groups in disjunctive normal form (the guide's example)", () => {
  // Valid if the value does not equal "test" (group 1), or if it ends with "asd" and equals the
  // current value of /3/0/15 (group 2).
  const notTest: ValidationRuleGroup = { groupId: 'not-test', rules: [rule('String', 'equalsNot', literal('test'))] };
  const endsWithAsdLikeTimezone: ValidationRuleGroup = {
    groupId: 'asd-like-timezone',
    rules: [rule('Regex', 'equals', literal('.*asd')), rule('String', 'equals', reference('/3/0/15'))],
  };
  const guideGroups = [notTest, endsWithAsdLikeTimezone];
  const device = { '/3/0/15': 'qwasd' };

  it('accepts a value through the first group that holds', () => {
    expect(evaluate(utcOffset, guideGroups, 'hello', device)).toEqual({ valid: true, groupId: 'not-test' });
  });

  it('refuses "test", naming the failed rules of every group', () => {
    expect(evaluate(utcOffset, guideGroups, 'test', device)).toEqual({
      valid: false,
      groups: [
        { groupId: 'not-test', failures: [{ ruleNumber: 1, rule: notTest.rules[0], reason: '"test" must not equal "test"' }] },
        {
          groupId: 'asd-like-timezone',
          failures: [
            { ruleNumber: 1, rule: endsWithAsdLikeTimezone.rules[0], reason: '"test" must match the pattern ".*asd"' },
            { ruleNumber: 2, rule: endsWithAsdLikeTimezone.rules[1], reason: '"test" must equal the current value of /3/0/15 ("qwasd")' },
          ],
        },
      ],
      message:
        'the value "test" does not satisfy any of the 2 validation rule groups: ' +
        'group "not-test": rule 1 (String equals not "test"): "test" must not equal "test"; ' +
        'group "asd-like-timezone": rule 1 (Regex equals ".*asd"): "test" must match the pattern ".*asd", ' +
        'rule 2 (String equals the current value of /3/0/15): "test" must equal the current value of /3/0/15 ("qwasd")',
    });
  });

  it('holds the second group only when both of its rules hold (AND)', () => {
    const onlySecond = [endsWithAsdLikeTimezone];
    expect(evaluate(utcOffset, onlySecond, 'qwasd', device)).toEqual({ valid: true, groupId: 'asd-like-timezone' });
    const endsRightButDiffers = evaluate(utcOffset, onlySecond, 'zzasd', device);
    expect(endsRightButDiffers.valid).toBe(false);
    if (!endsRightButDiffers.valid) {
      expect(endsRightButDiffers.groups[0]?.failures.map((failure) => failure.ruleNumber)).toEqual([2]);
      expect(endsRightButDiffers.message).toBe(
        'the value "zzasd" does not satisfy the validation rule group: group "asd-like-timezone": ' +
          'rule 2 (String equals the current value of /3/0/15): "zzasd" must equal the current value of /3/0/15 ("qwasd")',
      );
    }
    const differentDevice = { '/3/0/15': 'qwasdx' };
    expect(evaluate(utcOffset, onlySecond, 'qwasdx', differentDevice).valid).toBe(false);
    expect(evaluate(utcOffset, onlySecond, 'qwasd', {}).valid).toBe(false);
  });

  it('accepts anything when the resource has no rules', () => {
    expect(evaluate(utcOffset, [], 'anything')).toEqual({ valid: true, groupId: null });
  });

  it('is the OR of ANDs, and lists exactly the failed rules (random rule sets)', () => {
    const words = ['a', 'b', 'c'];
    const randomRule = fc.record({
      operator: fc.constantFrom<ValidationOperator>('equals', 'equalsNot'),
      word: fc.constantFrom(...words),
    });
    const randomGroups = fc.array(fc.array(randomRule, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(randomGroups, fc.constantFrom(...words), (shape, input) => {
        const groups = shape.map((rules, index) => ({
          groupId: `g${index}`,
          rules: rules.map(({ operator, word }) => rule('String', operator, literal(word))),
        }));
        const ruleHolds = (validationRule: ValidationRule): boolean =>
          validationRule.operand.kind === 'literal' && (input === validationRule.operand.value) === (validationRule.operator === 'equals');
        const outcome = evaluate(text, groups, input);
        const firstHolding = groups.find((group) => group.rules.every(ruleHolds));
        if (firstHolding !== undefined) {
          expect(outcome).toEqual({ valid: true, groupId: firstHolding.groupId });
        } else {
          expect(outcome.valid).toBe(false);
          if (outcome.valid) return;
          expect(outcome.groups.map((group) => group.groupId)).toEqual(groups.map((group) => group.groupId));
          outcome.groups.forEach((failed, index) => {
            const expectedNumbers = (groups[index]?.rules ?? []).flatMap((validationRule, ruleIndex) => (ruleHolds(validationRule) ? [] : [ruleIndex + 1]));
            expect(failed.failures.map((failure) => failure.ruleNumber)).toEqual(expectedNumbers);
          });
        }
      }),
    );
  });
});
