import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTypedValue } from '../../src/domain/lwm2m/TypedValueText.ts';
import { floatValue, stringValue } from '../../src/domain/lwm2m/LwM2mValue.ts';
import { resourceValueJson } from '../../src/graphql/ResourceValueJson.ts';

describe('resource values as JSON', () => {
  it('gives exact numbers as numbers and the rest as text', () => {
    expect(resourceValueJson('integer', '87')).toBe(87);
    expect(resourceValueJson('integer', '-9223372036854775808')).toBe('-9223372036854775808');
    expect(resourceValueJson('unsigned', '18446744073709551615')).toBe('18446744073709551615');
    expect(resourceValueJson('time', '1700000000')).toBe(1700000000);
    expect(resourceValueJson('float', '21.5')).toBe(21.5);
    expect(resourceValueJson('float', 'NaN')).toBe('NaN');
    expect(resourceValueJson('float', '-Infinity')).toBe('-Infinity');
    expect(resourceValueJson('boolean', 'true')).toBe(true);
    expect(resourceValueJson('boolean', 'false')).toBe(false);
    expect(resourceValueJson('opaque', 'AAE=')).toBe('AAE=');
    expect(resourceValueJson('objlnk', '3:0')).toBe('3:0');
    expect(resourceValueJson('string', '42')).toBe('42');
  });

  it('reads back every finite float and every string exactly from its canonical text', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(resourceValueJson('float', formatTypedValue(floatValue(value)))).toBe(value);
      }),
    );
    fc.assert(fc.property(fc.string(), (value) => resourceValueJson('string', formatTypedValue(stringValue(value))) === value));
  });
});
