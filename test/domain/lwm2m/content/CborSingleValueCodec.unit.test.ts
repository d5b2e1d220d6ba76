import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent } from '../../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { CONTENT_FORMAT } from '../../../../src/domain/lwm2m/content/ContentFormat.ts';
import type { LwM2mPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import type { LwM2mValue } from '../../../../src/domain/lwm2m/LwM2mValue.ts';
import { ALL_TYPES_OBJECT_ID, allTypesResourceId, emptyCatalog, testCatalog } from './testCatalog.ts';

const at = (type: LwM2mValue['type']): LwM2mPath => ({ objectId: ALL_TYPES_OBJECT_ID, instanceId: 0, resourceId: allTypesResourceId(type, false) });
const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replaceAll(' ', ''), 'hex'));
const decode = (bytes: string, path: LwM2mPath) => decodeContent(CONTENT_FORMAT.cbor, hex(bytes), path, testCatalog);

describe('CBOR single value (content format 60, Core 1.2 section 7.4.6)', () => {
  it.each([
    ['integer 100', '18 64', { objectId: 3, instanceId: 0, resourceId: 9 }, { type: 'integer', value: 100n }],
    ['negative integer -5', '24', { objectId: 3, instanceId: 0, resourceId: 9 }, { type: 'integer', value: -5n }],
    ['float -12.75 on 4 bytes', 'fa c1 4c 00 00', { objectId: 3303, instanceId: 0, resourceId: 5700 }, { type: 'float', value: -12.75 }],
    ['float 0.1 on 8 bytes', 'fb 3f b9 99 99 99 99 99 9a', { objectId: 3303, instanceId: 0, resourceId: 5700 }, { type: 'float', value: 0.1 }],
    ['string "+02:00"', '66 2b 30 32 3a 30 30', { objectId: 3, instanceId: 0, resourceId: 14 }, { type: 'string', value: '+02:00' }],
    ['time as an integer', '1a 51 82 42 8f', { objectId: 3, instanceId: 0, resourceId: 13 }, { type: 'time', value: 1367491215 }],
    ['boolean true', 'f5', at('boolean'), { type: 'boolean', value: true }],
    ['opaque as a byte string', '43 01 02 03', at('opaque'), { type: 'opaque', value: Uint8Array.of(1, 2, 3) }],
    ['objlnk as "66:0"', '64 36 36 3a 30', at('objlnk'), { type: 'objlnk', value: { objectId: 66, instanceId: 0 } }],
    ['unsigned 2^64-1', '1b ff ff ff ff ff ff ff ff', at('unsigned'), { type: 'unsigned', value: 2n ** 64n - 1n }],
  ] as const)('reads and writes back %s', (_name, bytes, path, value) => {
    const decoded = decode(bytes, path);
    expect(decoded).toEqual({ ok: true, value: { kind: 'resource', id: path.resourceId, value } });
    const encoded = decoded.ok ? encodeContent(CONTENT_FORMAT.cbor, decoded.value, path) : decoded;
    expect(encoded.ok && Buffer.from(encoded.value).toString('hex')).toBe(bytes.replaceAll(' ', ''));
  });

  it('reads a time in tag 1 (RFC 8949 section 3.4.2) and a resource instance', () => {
    expect(decode('c1 1a 51 82 42 8f', { objectId: 3, instanceId: 0, resourceId: 13 })).toEqual({ ok: true, value: { kind: 'resource', id: 13, value: { type: 'time', value: 1367491215 } } });
    expect(decode('19 0e d8', { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 0 })).toEqual({
      ok: true,
      value: { kind: 'resourceInstance', id: 0, value: { type: 'integer', value: 3800n } },
    });
  });

  it('types a resource it has no model of by the CBOR item', () => {
    expect(decodeContent(CONTENT_FORMAT.cbor, hex('63 6f 6e 21'), { objectId: 4242, instanceId: 0, resourceId: 1 }, emptyCatalog)).toEqual({
      ok: true,
      value: { kind: 'resource', id: 1, value: { type: 'string', value: 'on!' } },
    });
  });

  it.each([
    ['', { objectId: 3, instanceId: 0, resourceId: 9 }, 'empty CBOR content'],
    ['18', { objectId: 3, instanceId: 0, resourceId: 9 }, 'CBOR item head runs past the end'],
    ['18 64 00', { objectId: 3, instanceId: 0, resourceId: 9 }, '1 bytes after the end of the CBOR item'],
    ['a1 00 01', { objectId: 3, instanceId: 0, resourceId: 9 }, 'CBOR content for /3/0/9 is a map, not a single value'],
    ['81 01', { objectId: 3, instanceId: 0, resourceId: 9 }, 'CBOR content for /3/0/9 is a array, not a single value'],
    ['f6', { objectId: 3, instanceId: 0, resourceId: 9 }, 'CBOR content for /3/0/9 is a null, not a single value'],
    ['c2 41 01', { objectId: 3, instanceId: 0, resourceId: 9 }, 'CBOR tag 2 is not allowed here'],
    ['c1 c1 01', { objectId: 3, instanceId: 0, resourceId: 13 }, 'CBOR nesting deeper than 2'],
    ['62 41 51', at('opaque'), 'CBOR content for /9000/0/5, an opaque resource, is not a byte string'],
    ['63 61 62 63', { objectId: 3, instanceId: 0, resourceId: 9 }, 'CBOR content for /3/0/9: a string is not a integer value'],
    ['f9 3e 00', { objectId: 3, instanceId: 0, resourceId: 9 }, 'CBOR content for /3/0/9: 1.5 is not an integer'],
    ['01', { objectId: 3, instanceId: 0 }, 'CBOR carries a single value; /3/0 is not a resource'],
    ['01', { objectId: 3, instanceId: 0, resourceId: 7 }, 'CBOR carries a single value; /3/0/7 has several instances'],
  ] as const)('refuses %s at %o with a typed error', (bytes, path, message) => {
    const result = decode(bytes, path);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toBe(message);
  });

  it('refuses to write an object instance', () => {
    expect(encodeContent(CONTENT_FORMAT.cbor, { kind: 'objectInstance', id: 0, resources: new Map() }, { objectId: 3, instanceId: 0 })).toEqual({
      ok: false,
      error: { message: 'CBOR carries a single value, not a objectInstance' },
    });
  });
});
