import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatTypedValue, InvalidValueError, parseTypedValue } from '../../../src/domain/lwm2m/TypedValueText.ts';
import { lwm2mValueFromJson, lwm2mValueToJson } from '../../../src/domain/lwm2m/LwM2mValueJson.ts';
import { valuesEqual, type LwM2mValue } from '../../../src/domain/lwm2m/LwM2mValue.ts';
import { lwm2mValueArbitrary } from './content/arbitraries.ts';

describe('parseTypedValue', () => {
  it.each([
    ['-9223372036854775808', 'integer', -(2n ** 63n)],
    ['+42', 'integer', 42n],
    ['18446744073709551615', 'unsigned', 2n ** 64n - 1n],
  ] as const)('reads %s as %s', (text, type, expected) => {
    expect(parseTypedValue(text, type)).toEqual({ ok: true, value: { type, value: expected } });
  });

  it.each([
    ['9223372036854775808', 'integer', 'outside the signed 64-bit range'],
    ['-1', 'unsigned', 'expected a decimal integer of 0 or more'],
    ['18446744073709551616', 'unsigned', 'above 2^64-1'],
    ['1e999', 'float', 'outside the 64-bit float range'],
    ['0x10', 'float', 'expected a decimal number'],
    ['yes', 'boolean', 'expected true, false, 1 or 0'],
    ['abc', 'opaque', 'expected base64 or hex prefixed with 0x'],
    ['65536:0', 'objlnk', 'ids go from 0 to 65535'],
    ['3/0', 'objlnk', 'expected objectId:instanceId, e.g. 3:0'],
    ['2026-11-25T06:00:00', 'time', 'expected seconds since the epoch or an ISO 8601 date-time with a zone'],
  ] as const)('refuses %s as %s with a typed error', (text, type, reason) => {
    const result = parseTypedValue(text, type);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(InvalidValueError);
    expect(result.error.code).toBe('BAD_USER_INPUT');
    expect(result.error.message).toBe(`invalid ${type} value "${text}": ${reason}`);
  });

  it('reads the other spellings people use', () => {
    expect(parseTypedValue('1', 'boolean')).toEqual({ ok: true, value: { type: 'boolean', value: true } });
    expect(parseTypedValue('/3/0', 'objlnk')).toEqual({ ok: true, value: { type: 'objlnk', value: { objectId: 3, instanceId: 0 } } });
    expect(parseTypedValue('0xCAFE', 'opaque')).toEqual({ ok: true, value: { type: 'opaque', value: Uint8Array.of(0xca, 0xfe) } });
    expect(parseTypedValue('2026-11-25T06:00:00+01:00', 'time')).toEqual({ ok: true, value: { type: 'time', value: 1795582800 } });
    expect(parseTypedValue('.5e1', 'float')).toEqual({ ok: true, value: { type: 'float', value: 5 } });
  });

  it('reads back every value it formats, and so does the JSON form of events', () => {
    fc.assert(
      fc.property(lwm2mValueArbitrary(), (value: LwM2mValue) => {
        const text = formatTypedValue(value);
        const parsed = parseTypedValue(text, value.type);
        expect(parsed.ok && valuesEqual(parsed.value, value)).toBe(true);
        const fromJson = lwm2mValueFromJson(JSON.parse(JSON.stringify(lwm2mValueToJson(value))) as ReturnType<typeof lwm2mValueToJson>);
        expect(fromJson.ok && valuesEqual(fromJson.value, value)).toBe(true);
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk' as const), (text, type) => {
        const result = parseTypedValue(text, type);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
