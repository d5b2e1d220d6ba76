import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/DomainError.ts';
import { functionalityFromApi, operatorFromApi, operatorToApi, ruleTypeFromApi, ruleTypeToApi, validationRuleFromApi } from '../../../src/graphql/inputs/ProtocolInputs.ts';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
}

describe('functionality inputs', () => {
  it('turns each one-field input into its functionality', () => {
    expect(functionalityFromApi({ sendMeasurement: { type: 't', series: 's' } })).toEqual({ kind: 'sendMeasurement', type: 't', series: 's', unit: null });
    expect(functionalityFromApi({ createAlarm: { severity: 'MINOR', type: 'a', status: 'ACTIVE', text: 'x' } })).toEqual({
      kind: 'createAlarm',
      severity: 'MINOR',
      type: 'a',
      status: 'ACTIVE',
      text: 'x',
    });
    expect(functionalityFromApi({ sendEvent: { type: 'e', text: 'x' } })).toEqual({ kind: 'sendEvent', type: 'e', text: 'x' });
    expect(functionalityFromApi({ autoObserve: true })).toEqual({ kind: 'autoObserve' });
    expect(functionalityFromApi({ customAction: { mapToDeviceProperty: 'hardwareRevision' } })).toEqual({
      kind: 'customAction',
      action: { name: 'mapToDeviceProperty', property: 'hardwareRevision' },
    });
    expect(
      functionalityFromApi({ customAction: { decodePackedReading: [{ type: 'int16', measurementType: 'm', series: 's', unit: 'Cel', scale: null }] } }),
    ).toEqual({ kind: 'customAction', action: { name: 'decodePackedReading', fields: [{ type: 'int16', measurementType: 'm', series: 's', unit: 'Cel', scale: 1 }] } });
  });

  it('refuses none, two, autoObserve: false and two custom actions with BAD_USER_INPUT', () => {
    expect(codeOf(() => functionalityFromApi({}))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => functionalityFromApi({ autoObserve: null, sendEvent: null }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => functionalityFromApi({ autoObserve: true, sendEvent: { type: 'e', text: 't' } }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => functionalityFromApi({ autoObserve: false }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => functionalityFromApi({ customAction: { mapToDeviceProperty: 'p', decodePackedReading: [] } }))).toBe('BAD_USER_INPUT');
  });
});

describe('validation rule inputs', () => {
  it('takes exactly one of value and resourcePath', () => {
    expect(validationRuleFromApi({ type: 'NUMBER', operator: 'GREATER_OR_EQUALS', value: '5' }, 0)).toEqual({
      type: 'Number',
      operator: 'greaterOrEquals',
      operand: { kind: 'literal', value: '5' },
    });
    expect(validationRuleFromApi({ type: 'OBJECT_LINK', operator: 'EQUALS', resourcePath: '/3/0/15' }, 0)).toEqual({
      type: 'ObjectLink',
      operator: 'equals',
      operand: { kind: 'resource', path: '/3/0/15' },
    });
    expect(codeOf(() => validationRuleFromApi({ type: 'STRING', operator: 'EQUALS' }, 0))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => validationRuleFromApi({ type: 'STRING', operator: 'EQUALS', value: 'a', resourcePath: '/3/0/1' }, 2))).toBe('BAD_USER_INPUT');
  });

  it('maps every rule type and operator both ways', () => {
    for (const [api, domain] of Object.entries(ruleTypeFromApi)) expect(ruleTypeToApi[domain]).toBe(api);
    for (const [api, domain] of Object.entries(operatorFromApi)) expect(operatorToApi[domain]).toBe(api);
    expect(new Set(Object.values(ruleTypeFromApi)).size).toBe(Object.keys(ruleTypeFromApi).length);
    expect(new Set(Object.values(operatorFromApi)).size).toBe(Object.keys(operatorFromApi).length);
  });
});
