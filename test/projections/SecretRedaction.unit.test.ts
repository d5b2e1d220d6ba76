import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/domain/Json.ts';
import { redactedJson, redactedSecret } from '../../src/projections/SecretRedaction.ts';

const redacted = (value: JsonValue): unknown => JSON.parse(redactedJson(value));

const secret = fc.record({ sealed: fc.constant('SEALED-CIPHERTEXT'), fingerprint: fc.constant('FINGERPRINT-VALUE') });
const leaf: fc.Arbitrary<JsonValue> = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    leaf,
    secret,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('json'), { maxKeys: 4 }),
  ),
}));

describe('redactedJson', () => {
  it('leaves no sealed secret anywhere in any JSON value', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = redactedJson(value);
        expect(text).not.toContain('SEALED-CIPHERTEXT');
        expect(text).not.toContain('FINGERPRINT-VALUE');
      }),
    );
  });

  it('changes nothing in a value without secrets', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(redactedJson(value as JsonValue)).toBe(JSON.stringify(value));
      }),
    );
  });

  it('keeps a "__proto__" key as data, as JSON.parse does', () => {
    const value = JSON.parse('{"__proto__":{"a":1},"b":[{"__proto__":2}]}') as JsonValue;
    expect(redactedJson(value)).toBe('{"__proto__":{"a":1},"b":[{"__proto__":2}]}');
    expect(Object.keys(redacted(value) as object)).toEqual(['__proto__', 'b']);
  });

  it('marks where a secret was', () => {
    expect(redacted({ changes: { lwm2mPskKey: { sealed: 'x', fingerprint: 'y' }, bootstrapPskKey: null } })).toEqual({
      changes: { lwm2mPskKey: redactedSecret, bootstrapPskKey: null },
    });
    // An object that merely has these two keys among others is not a sealed secret.
    expect(redacted({ sealed: 'x', fingerprint: 'y', other: 1 })).toEqual({ sealed: 'x', fingerprint: 'y', other: 1 });
  });
});
