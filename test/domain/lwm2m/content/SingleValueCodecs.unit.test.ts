import { describe, expect, it } from 'vitest';
import { decodeOpaque, encodeOpaque } from '../../../../src/domain/lwm2m/content/OpaqueCodec.ts';
import { decodeTextPlain, encodeTextPlain } from '../../../../src/domain/lwm2m/content/TextPlainCodec.ts';
import type { LwM2mPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import type { LwM2mValue } from '../../../../src/domain/lwm2m/LwM2mValue.ts';
import { ALL_TYPES_OBJECT_ID, allTypesResourceId, emptyCatalog, testCatalog } from './testCatalog.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const at = (type: LwM2mValue['type']): LwM2mPath => ({ objectId: ALL_TYPES_OBJECT_ID, instanceId: 0, resourceId: allTypesResourceId(type, false) });

describe('text/plain (Core 1.1 section 7.4.1)', () => {
  it.each([
    ['100', { objectId: 3, instanceId: 0, resourceId: 9 }, { type: 'integer', value: 100n }],
    ['1367491215', { objectId: 3, instanceId: 0, resourceId: 13 }, { type: 'time', value: 1367491215 }],
    ['+02:00', { objectId: 3, instanceId: 0, resourceId: 14 }, { type: 'string', value: '+02:00' }],
    ['-12.75', { objectId: 3303, instanceId: 0, resourceId: 5700 }, { type: 'float', value: -12.75 }],
    ['-0', { objectId: 3303, instanceId: 0, resourceId: 5700 }, { type: 'float', value: -0 }],
    ['1', at('boolean'), { type: 'boolean', value: true }],
    ['AQIDBAU=', at('opaque'), { type: 'opaque', value: Uint8Array.of(1, 2, 3, 4, 5) }],
    ['66:0', at('objlnk'), { type: 'objlnk', value: { objectId: 66, instanceId: 0 } }],
    ['18446744073709551615', at('unsigned'), { type: 'unsigned', value: 2n ** 64n - 1n }],
  ] as const)('reads "%s" at %o as the model types it, and writes it back', (text, path, value) => {
    const decoded = decodeTextPlain(utf8(text), path, testCatalog);
    expect(decoded).toEqual({ ok: true, value: { kind: 'resource', id: path.resourceId, value } });
    expect(decoded.ok && new TextDecoder().decode((encodeTextPlain(decoded.value) as { value: Uint8Array }).value)).toBe(text);
  });

  it('reads a resource instance', () => {
    expect(decodeTextPlain(utf8('3800'), { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 0 }, testCatalog)).toEqual({
      ok: true,
      value: { kind: 'resourceInstance', id: 0, value: { type: 'integer', value: 3800n } },
    });
  });

  it('reads a resource it has no model of as a string', () => {
    expect(decodeTextPlain(utf8('on'), { objectId: 4242, instanceId: 0, resourceId: 1 }, emptyCatalog)).toEqual({
      ok: true,
      value: { kind: 'resource', id: 1, value: { type: 'string', value: 'on' } },
    });
  });

  it.each([
    ['12a', { objectId: 3, instanceId: 0, resourceId: 9 }, 'text/plain content "12a": expected a decimal integer for a integer resource'],
    ['2', at('boolean'), 'text/plain content "2": expected 0 or 1 for a boolean resource'],
    ['!!', at('opaque'), 'text/plain content "!!": expected base64 for an opaque resource'],
    ['1', { objectId: 3, instanceId: 0 }, 'text/plain carries a single value; /3/0 is not a resource'],
    ['1', { objectId: 3, instanceId: 0, resourceId: 7 }, 'text/plain carries a single value; /3/0/7 has several instances'],
    ['1', { objectId: 3, instanceId: 0, resourceId: 4 }, 'resource /3/0/4 is executable and holds no value'],
  ] as const)('refuses "%s" at %o', (text, path, message) => {
    const result = decodeTextPlain(utf8(text), path, testCatalog);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toBe(message);
  });

  it('refuses to write an object instance or a NaN', () => {
    expect(encodeTextPlain({ kind: 'objectInstance', id: 0, resources: new Map() })).toEqual({ ok: false, error: { message: 'text/plain carries a single value, not a objectInstance' } });
    expect(encodeTextPlain({ kind: 'resource', id: 1, value: { type: 'float', value: Number.NaN } })).toEqual({ ok: false, error: { message: 'text/plain cannot carry the float NaN' } });
  });
});

describe('opaque (Core 1.1 section 7.4.2)', () => {
  it('carries the bytes of an opaque resource as they are', () => {
    const bytes = Uint8Array.of(0, 255, 16);
    expect(decodeOpaque(bytes, at('opaque'), testCatalog)).toEqual({ ok: true, value: { kind: 'resource', id: allTypesResourceId('opaque', false), value: { type: 'opaque', value: bytes } } });
    expect(encodeOpaque({ kind: 'resource', id: 1, value: { type: 'opaque', value: bytes } })).toEqual({ ok: true, value: bytes });
  });

  it('refuses content for a resource of another type, and values of another type', () => {
    expect(decodeOpaque(Uint8Array.of(1), { objectId: 3, instanceId: 0, resourceId: 9 }, testCatalog)).toEqual({ ok: false, error: { message: 'opaque content for /3/0/9, a integer resource' } });
    expect(encodeOpaque({ kind: 'resource', id: 9, value: { type: 'integer', value: 1n } })).toEqual({ ok: false, error: { message: 'opaque carries opaque values only, not integer' } });
  });
});
