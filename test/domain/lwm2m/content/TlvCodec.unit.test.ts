import { describe, expect, it } from 'vitest';
import { decodeTlv } from '../../../../src/domain/lwm2m/content/TlvDecoder.ts';
import { encodeTlv } from '../../../../src/domain/lwm2m/content/TlvEncoder.ts';
import type { LwM2mNode, LwM2mValue } from '../../../../src/domain/lwm2m/LwM2mValue.ts';
import { DEVICE_INSTANCE, DEVICE_RESOURCES_TLV as DEVICE_RESOURCES, instance, int, multiple, single, str } from './deviceFixture.ts';
import { emptyCatalog, hex, testCatalog } from './testCatalog.ts';

// Byte fixtures from the TLV examples of LwM2M Core 1.0 section 6.4.3 / Core 1.1 section 7.4.3.
// The Device instance (DEVICE_RESOURCES) inside an object-instance TLV of 0x79 = 121 bytes, as a Read on /3 returns it.
const DEVICE_OBJECT = hex(`08 00 79 ${Buffer.from(DEVICE_RESOURCES).toString('hex')}`);
// Read /2: two Access Control instances, the second with ACL instance 310 (16-bit id, type 0x61).
const ACCESS_CONTROL_OBJECT = hex(`
  08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F
  08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F`);
// Read /1: one Server instance, its lifetime (86400) on 4 bytes.
const SERVER_OBJECT = hex('08 00 0F C1 00 01 C4 01 00015180 C1 06 01 C1 07 55');
// Object links: /65/0 with a multiple objlnk resource, and /66 with two instances (the spec's figure).
const OBJECT_65_INSTANCE = hex('88 00 0C 44 00 00420000 44 01 00420001 C8 01 0D 38363133383030373535353030 C4 02 12345678');
const OBJECT_66 = hex(`
  08 00 26 C8 00 0B 6D79536572766963652031 C8 01 0F 496E7465726E65742E31352E323334 C4 02 00430000
  08 01 26 C8 00 0B 6D79536572766963652032 C8 01 0F 496E7465726E65742E31352E323335 C4 02 FFFFFFFF`);

describe('TLV with the spec examples', () => {
  it('decodes the Device object instance from resource TLVs and from an object-instance TLV', () => {
    expect(decodeTlv(DEVICE_RESOURCES, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
    expect(decodeTlv(DEVICE_OBJECT, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
    expect(decodeTlv(DEVICE_OBJECT, { objectId: 3 }, testCatalog)).toEqual({ ok: true, value: { kind: 'object', id: 3, instances: new Map([[0, DEVICE_INSTANCE]]) } });
  });

  it('encodes the Device object instance to the exact bytes of the spec', () => {
    expect(encodeTlv(DEVICE_INSTANCE, { objectId: 3, instanceId: 0 })).toEqual({ ok: true, value: DEVICE_RESOURCES });
    const object: LwM2mNode = { kind: 'object', id: 3, instances: new Map([[0, DEVICE_INSTANCE]]) };
    expect(encodeTlv(object, { objectId: 3 })).toEqual({ ok: true, value: DEVICE_OBJECT });
    // Create on /3 wraps the instance in its object-instance TLV.
    expect(encodeTlv(DEVICE_INSTANCE, { objectId: 3 })).toEqual({ ok: true, value: DEVICE_OBJECT });
  });

  it('decodes and re-encodes the Access Control object with a 16-bit resource instance id', () => {
    const expected: LwM2mNode = {
      kind: 'object',
      id: 2,
      instances: new Map([
        [0, instance(0, [single(0, int(1n)), single(1, int(0n)), multiple(2, 'integer', [[127, int(7n)]]), single(3, int(127n))])],
        [2, instance(2, [single(0, int(3n)), single(1, int(0n)), multiple(2, 'integer', [[127, int(7n)], [310, int(1n)]]), single(3, int(127n))])],
      ]),
    };
    expect(decodeTlv(ACCESS_CONTROL_OBJECT, { objectId: 2 }, testCatalog)).toEqual({ ok: true, value: expected });
    expect(encodeTlv(expected, { objectId: 2 })).toEqual({ ok: true, value: ACCESS_CONTROL_OBJECT });
  });

  it('decodes the Server object with a boolean and a 4-byte integer', () => {
    const expected: LwM2mNode = {
      kind: 'object',
      id: 1,
      instances: new Map([[0, instance(0, [single(0, int(1n)), single(1, int(86400n)), single(6, { type: 'boolean', value: true }), single(7, str('U'))])]]),
    };
    expect(decodeTlv(SERVER_OBJECT, { objectId: 1 }, testCatalog)).toEqual({ ok: true, value: expected });
    expect(encodeTlv(expected, { objectId: 1 })).toEqual({ ok: true, value: SERVER_OBJECT });
  });

  it('decodes and re-encodes object links, including the null link 65535:65535', () => {
    const link = (objectId: number, instanceId: number): LwM2mValue => ({ type: 'objlnk', value: { objectId, instanceId } });
    const instance65 = instance(0, [multiple(0, 'objlnk', [[0, link(66, 0)], [1, link(66, 1)]]), single(1, str('8613800755500')), single(2, int(305419896n))]);
    expect(decodeTlv(OBJECT_65_INSTANCE, { objectId: 65, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: instance65 });
    expect(encodeTlv(instance65, { objectId: 65, instanceId: 0 })).toEqual({ ok: true, value: OBJECT_65_INSTANCE });

    const object66: LwM2mNode = {
      kind: 'object',
      id: 66,
      instances: new Map([
        [0, instance(0, [single(0, str('myService 1')), single(1, str('Internet.15.234')), single(2, link(67, 0))])],
        [1, instance(1, [single(0, str('myService 2')), single(1, str('Internet.15.235')), single(2, link(65535, 65535))])],
      ]),
    };
    expect(decodeTlv(OBJECT_66, { objectId: 66 }, testCatalog)).toEqual({ ok: true, value: object66 });
    expect(encodeTlv(object66, { objectId: 66 })).toEqual({ ok: true, value: OBJECT_66 });
  });

  it('reads a multiple resource from its resource-instance TLVs alone, or from its multiple-resource TLV', () => {
    const expected = multiple(6, 'integer', [[0, int(1n)], [1, int(5n)]]);
    expect(decodeTlv(hex('41 00 01 41 01 05'), { objectId: 3, instanceId: 0, resourceId: 6 }, testCatalog)).toEqual({ ok: true, value: expected });
    expect(decodeTlv(hex('86 06 41 00 01 41 01 05'), { objectId: 3, instanceId: 0, resourceId: 6 }, testCatalog)).toEqual({ ok: true, value: expected });
    expect(decodeTlv(hex(''), { objectId: 3, instanceId: 0, resourceId: 6 }, testCatalog)).toEqual({ ok: true, value: multiple(6, 'integer', []) });
  });

  it('reads one resource instance', () => {
    expect(decodeTlv(hex('42 01 13 88'), { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 1 }, testCatalog)).toEqual({
      ok: true,
      value: { kind: 'resourceInstance', id: 1, value: int(5000n) },
    });
  });
});

describe('TLV encoding widths', () => {
  const resourcePath = { objectId: 9000, instanceId: 0, resourceId: 1 };
  const encoded = (value: LwM2mValue): string => {
    const result = encodeTlv({ kind: 'resource', id: 1, value }, resourcePath);
    return result.ok ? Buffer.from(result.value).toString('hex') : result.error.message;
  };

  it.each([
    [127n, 'c1017f'],
    [128n, 'c2010080'],
    [-128n, 'c10180'],
    [-129n, 'c201ff7f'],
    [32768n, 'c40100008000'],
    [-(2n ** 31n) - 1n, 'c80108ffffffff7fffffff'],
    [2n ** 63n - 1n, 'c801087fffffffffffffff'],
  ])('writes the integer %s on the fewest bytes', (value, bytes) => {
    expect(encoded({ type: 'integer', value })).toBe(bytes);
  });

  it('writes unsigned integers without a sign byte', () => {
    expect(encoded({ type: 'unsigned', value: 255n })).toBe('c101ff');
    expect(encoded({ type: 'unsigned', value: 2n ** 64n - 1n })).toBe('c80108ffffffffffffffff');
  });

  it('writes a float on 4 bytes when it is exactly a 32-bit float, on 8 otherwise', () => {
    expect(encoded({ type: 'float', value: 1.5 })).toBe('c4013fc00000');
    expect(encoded({ type: 'float', value: 0.1 })).toBe('c801083fb999999999999a');
    expect(encoded({ type: 'float', value: -0 })).toBe('c40180000000');
  });

  it('uses a 16-bit identifier and 8, 16 and 24-bit lengths when needed', () => {
    const result = encodeTlv({ kind: 'resource', id: 300, value: { type: 'opaque', value: new Uint8Array(8) } }, resourcePath);
    expect(result.ok && Buffer.from(result.value.subarray(0, 4)).toString('hex')).toBe('e8012c08');
    const sixteen = encodeTlv({ kind: 'resource', id: 1, value: { type: 'opaque', value: new Uint8Array(256) } }, resourcePath);
    expect(sixteen.ok && Buffer.from(sixteen.value.subarray(0, 4)).toString('hex')).toBe('d0010100');
    const twentyFour = encodeTlv({ kind: 'resource', id: 1, value: { type: 'opaque', value: new Uint8Array(65536) } }, resourcePath);
    expect(twentyFour.ok && Buffer.from(twentyFour.value.subarray(0, 5)).toString('hex')).toBe('d801010000');
  });
  it('refuses a value beyond the 24-bit length field with an error', () => {
    const huge = { kind: 'resource' as const, id: 1, value: { type: 'opaque' as const, value: new Uint8Array(0x1000000) } };
    expect(encodeTlv(huge, resourcePath)).toEqual({ ok: false, error: { message: 'a TLV value of 16777216 bytes exceeds the 24-bit length field' } });
  });
});

describe('TLV decoding errors', () => {
  const devicePath = { objectId: 3, instanceId: 0 };
  it.each([
    ['a length past the end', 'C8 00 14 4F70', 'TLV value of 20 bytes runs past the end of its content', 0],
    ['a truncated header', 'C8', 'TLV header runs past the end of its content', 0],
    ['a resource twice', 'C1 09 64 C1 09 63', 'resource 9 appears twice in /3/0', 3],
    ['an integer of 3 bytes', 'C3 09 000064', 'integer value: 3 bytes, expected 1, 2, 4 or 8', 2],
    ['a boolean of 2', 'C1 06 02', 'boolean value: byte 2, expected 0 or 1', 2],
    ['invalid UTF-8', 'C2 00 C328', 'string value: not valid UTF-8', 2],
    ['the reserved id 65535', 'E1 FFFF 01', 'TLV identifier 65535 is reserved', 0],
    ['an executable resource', 'C0 04', 'resource /3/0/4 is executable and holds no value', undefined],
  ])('refuses %s', (_name, bytes, message, offset) => {
    const path = message.includes('boolean') ? { objectId: 1, instanceId: 0 } : devicePath;
    expect(decodeTlv(hex(bytes), path, testCatalog)).toEqual({ ok: false, error: offset === undefined ? { message } : { message, offset } });
  });

  it('keeps the resources of an object it has no model of as opaque bytes', () => {
    expect(decodeTlv(hex('C3 00 616263'), { objectId: 10234, instanceId: 0 }, emptyCatalog)).toEqual({
      ok: true,
      value: instance(0, [single(0, { type: 'opaque', value: Uint8Array.of(0x61, 0x62, 0x63) })]),
    });
  });
});
