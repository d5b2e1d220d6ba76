import { describe, expect, it } from 'vitest';
import { attributeValueProblem, attributesRefusedFor, isNotificationAttributeName, isResourceOnlyAttribute } from '../../../src/domain/lwm2m/NotificationAttributes.ts';

describe('notification attributes', () => {
  it('refuses the 1.2 attributes below 1.2 only, and keeps the 1.1 ones for 1.0 devices as before', () => {
    expect(attributesRefusedFor('1.1', ['pmin', 'edge', 'con', 'hqmax'])).toEqual(['edge', 'con', 'hqmax']);
    expect(attributesRefusedFor('1.0', ['epmin', 'epmax', 'hqmax'])).toEqual(['hqmax']);
    expect(attributesRefusedFor('1.1.1', ['con'])).toEqual(['con']);
    expect(attributesRefusedFor('1.2', ['edge', 'con', 'hqmax'])).toEqual([]);
    expect(attributesRefusedFor('1.2.1', ['edge'])).toEqual([]);
  });

  it('knows the names, the levels and the values of each', () => {
    expect(['edge', 'con', 'hqmax', 'pmin'].every(isNotificationAttributeName)).toBe(true);
    expect(isNotificationAttributeName('dim')).toBe(false);
    expect(isNotificationAttributeName('toString')).toBe(false);
    expect(isResourceOnlyAttribute('edge')).toBe(true);
    expect(isResourceOnlyAttribute('con')).toBe(false);
    expect(isResourceOnlyAttribute('hqmax')).toBe(false);
    expect(attributeValueProblem('con', 1)).toBeUndefined();
    expect(attributeValueProblem('con', 2)).toBe('con must be 0 or 1');
    expect(attributeValueProblem('hqmax', 0)).toBeUndefined();
    expect(attributeValueProblem('hqmax', 2.5)).toBe('hqmax must be a whole number from 0');
    expect(attributeValueProblem('gt', -3.5)).toBeUndefined();
    expect(attributeValueProblem('epmax', -1)).toBe('epmax must be a whole number of seconds from 0');
  });
});
