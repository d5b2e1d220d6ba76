import { describe, expect, it } from 'vitest';
import type { LwM2mPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import { formatPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import { findResource } from '../../../../src/domain/lwm2m/ObjectModel.ts';
import type { ValidationRuleGroup } from '../../../../src/domain/protocols/validation/ValidationRule.ts';
import type { WriteRejection, WriteRuleContext } from '../../../../src/domain/protocols/validation/WriteValidation.ts';
import { WriteRefusedError, checkWriteRules, valuesToWrite } from '../../../../src/domain/protocols/validation/WriteValidation.ts';
import { parseShellCommand } from '../../../../src/domain/shell/ShellCommandParser.ts';
import { shellOperationSpec } from '../../../../src/domain/shell/ShellOperationSpec.ts';
import { ShellTestCatalog } from '../../shell/ShellTestCatalog.ts';

// The guide's example on /3/0/14: not "test", or ending in "asd" and equal to /3/0/15.
const utcOffsetRules: ValidationRuleGroup[] = [
  { groupId: 'not-test', rules: [{ type: 'String', operator: 'equalsNot', operand: { kind: 'literal', value: 'test' } }] },
  {
    groupId: 'asd-like-timezone',
    rules: [
      { type: 'Regex', operator: 'equals', operand: { kind: 'literal', value: '.*asd' } },
      { type: 'String', operator: 'equals', operand: { kind: 'resource', path: '/3/0/15' } },
    ],
  },
];
// Lifetime /1/x/1 at least 60 seconds; ACL instances /2/x/2 at most 31.
const lifetimeRules: ValidationRuleGroup[] = [
  { groupId: 'min', rules: [{ type: 'Number', operator: 'greaterOrEquals', operand: { kind: 'literal', value: '60' } }] },
];
const aclRules: ValidationRuleGroup[] = [
  { groupId: 'max', rules: [{ type: 'Number', operator: 'lowerOrEquals', operand: { kind: 'literal', value: '31' } }] },
];

const rulesByResource = new Map<string, ValidationRuleGroup[]>([
  ['3/14', utcOffsetRules],
  ['1/1', lifetimeRules],
  ['2/2', aclRules],
]);
const currentValues = new Map<string, string>([['/3/0/15', 'qwasd']]);

const catalog = new ShellTestCatalog();
const context: WriteRuleContext = {
  ruleGroups: (objectId, resourceId) => rulesByResource.get(`${objectId}/${resourceId}`) ?? [],
  resource: (objectId, resourceId) => {
    const object = catalog.object(objectId);
    return object === undefined ? undefined : findResource(object, resourceId);
  },
  currentValue: (path: LwM2mPath) => currentValues.get(formatPath(path)),
};

/** Checks the values of a shell line's operation, refused under the line's command, as the shell asks for it. */
function check(line: string): void {
  const parsed = parseShellCommand(line);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const step = shellOperationSpec(parsed.command, { catalog, announcedInstances: () => [] });
  if (step.kind === 'operation') checkWriteRules(parsed.command.kind, valuesToWrite(step.operation), context);
}

function rejections(line: string): readonly WriteRejection[] {
  try {
    check(line);
  } catch (error) {
    if (error instanceof WriteRefusedError) {
      expect(error.code).toBe('BAD_USER_INPUT');
      return error.rejections;
    }
    throw error;
  }
  throw new Error(`expected "${line}" to be refused`);
}

describe('WriteValidation', () => {
  it('lets through writes that satisfy a rule group, and writes to resources without rules', () => {
    expect(() => check('write /3/0/14 +02:00')).not.toThrow();
    expect(() => check('write /3/0/15 test')).not.toThrow();
    expect(() => check('cwrite /3/0/14=qwasd /1/0/1=60')).not.toThrow();
    expect(() => check('writep /2/0 {"2": {"0": 31, "1": 0}, "3": 99}')).not.toThrow();
    expect(() => check('read /3/0/14')).not.toThrow();
  });

  it('refuses a write, saying which rules of which groups failed', () => {
    const [rejection, ...others] = rejections('write /3/0/14 test');
    expect(others).toEqual([]);
    expect(rejection?.path).toBe('/3/0/14');
    expect(rejection?.value).toBe('test');
    expect(rejection?.groups.map((group) => [group.groupId, group.failures.map((failure) => failure.ruleNumber)])).toEqual([
      ['not-test', [1]],
      ['asd-like-timezone', [1, 2]],
    ]);
    expect(rejection?.message).toMatch(/^the value "test" does not satisfy any of the 2 validation rule groups: group "not-test": /);
  });

  it('names every refused value of cwrite and writep', () => {
    expect(rejections('cwrite /3/0/14=test /1/0/1=30 /3/0/15=x').map((rejection) => [rejection.path, rejection.value])).toEqual([
      ['/3/0/14', 'test'],
      ['/1/0/1', '30'],
    ]);
    expect(rejections('writep /2/0 {"2": {"0": 1, "1": 32, "2": 64}}').map((rejection) => [rejection.path, rejection.message])).toEqual([
      ['/2/0/2/1', 'the value "32" does not satisfy the validation rule group: group "max": rule 1 (Number lower or equals "31"): "32" must be lower than or equal to "31"'],
      ['/2/0/2/2', 'the value "64" does not satisfy the validation rule group: group "max": rule 1 (Number lower or equals "31"): "64" must be lower than or equal to "31"'],
    ]);
    expect(rejections('writep /1/0 {"1": 59}').map((rejection) => rejection.path)).toEqual(['/1/0/1']);
  });

  it('checks the values a create sets, as those of a write', () => {
    expect(rejections('create /1 {"1": 30}').map((rejection) => [rejection.path, rejection.value])).toEqual([['/1/0/1', '30']]);
    expect(() => check('create /1 {"1": 60}')).not.toThrow();
  });

  it('puts every rejection in the error message', () => {
    try {
      check('cwrite /1/0/1=1 /3/0/14=test');
    } catch (error) {
      expect(error).toBeInstanceOf(WriteRefusedError);
      expect((error as Error).message).toMatch(/^cwrite refused by validation rules: \/1\/0\/1: the value "1" .*; \/3\/0\/14: the value "test" /);
      return;
    }
    throw new Error('expected a rejection');
  });
});
