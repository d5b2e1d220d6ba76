import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/domain/Json.ts';
import { isSealedSecret } from '../../src/domain/SealedSecret.ts';
import { redactedJson, redactedJsonText, redactedSecret } from '../../src/projections/SecretRedaction.ts';

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

/** What the redaction means, on the parsed value: each sealed secret, wherever it sits, becomes the marker. */
function redactedModel(value: unknown): unknown {
  if (isSealedSecret(value)) return redactedSecret;
  if (Array.isArray(value)) return value.map(redactedModel);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactedModel(item)]));
  return value;
}

/** Strings that make a text scan go wrong: quotes, backslashes, braces and whole secrets written as text. */
const tricky = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('"', '\\', '\\"', '{"sealed":"a","fingerprint":"b"}', '{\\"sealed\\":\\"a\\",\\"fingerprint\\":\\"b\\"}', '"sealed":"', '}', '{'),
);
/** Sealed secrets either key first, and objects that only look like one (a third key, a value not a string). */
const secretLike = fc.oneof(
  fc.record({ sealed: tricky, fingerprint: tricky }),
  fc.record({ fingerprint: tricky, sealed: tricky }),
  fc.record({ sealed: tricky, fingerprint: tricky, other: fc.integer() }),
  fc.record({ sealed: fc.integer(), fingerprint: tricky }),
  fc.record({ sealed: tricky }),
);
const { trickyJson } = fc.letrec<{ trickyJson: JsonValue }>((tie) => ({
  trickyJson: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.integer(),
    fc.constant(null),
    secretLike,
    fc.array(tie('trickyJson'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('trickyJson'), { maxKeys: 4 }),
  ),
}));

describe('redactedJsonText', () => {
  it('redacts the text JSON.stringify wrote as the parsed value would be redacted', () => {
    fc.assert(
      fc.property(trickyJson, (value) => {
        const text = redactedJsonText(JSON.stringify(value));
        expect(text).toBe(JSON.stringify(redactedModel(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns the very text when it holds no secret', () => {
    const text = JSON.stringify({ endpoint: 'a', changes: { name: 'sealed', sealed: 1 } });
    expect(redactedJsonText(text)).toBe(text);
  });
});

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
