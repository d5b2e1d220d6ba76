import { describe, expect, it } from 'vitest';
import { decodeLwM2mCbor, decodeLwM2mCborEntries, encodeLwM2mCbor, encodeLwM2mCborEntries } from '../../../../src/domain/lwm2m/content/LwM2mCborCodec.ts';
import { decodeSenmlCbor, decodeSenmlCborEntries, encodeSenmlCbor, encodeSenmlCborEntries } from '../../../../src/domain/lwm2m/content/SenmlCborCodec.ts';
import { decodeSenmlJson } from '../../../../src/domain/lwm2m/content/SenmlJsonCodec.ts';
import { DEVICE_INSTANCE, instance, int, multiple, single, str } from './deviceFixture.ts';
import { hex, testCatalog } from './testCatalog.ts';

const bytesOf = (result: { ok: boolean; value?: Uint8Array }): string => (result.ok && result.value !== undefined ? Buffer.from(result.value).toString('hex') : 'encoding failed');
const temperature = { objectId: 3303, instanceId: 0, resourceId: 5700 };

describe('SenML CBOR', () => {
  // [{0: "/3303/0/5700", 2: 24.5, 6: 1700000000}], written out by hand from RFC 8949 and RFC 8428 section 6.
  const SEND = '81 a3 00 6c 2f333330332f302f35373030 02 fa 41c40000 06 1a 6553f100';

  it('writes a Send payload with integer labels, a 4-byte float and an integer time', () => {
    expect(bytesOf(encodeSenmlCborEntries([{ path: temperature, value: { type: 'float', value: 24.5 }, time: 1700000000 }]))).toBe(SEND.replace(/ /g, ''));
    expect(decodeSenmlCborEntries(hex(SEND), testCatalog)).toEqual({ ok: true, value: [{ path: temperature, value: { type: 'float', value: 24.5 }, time: 1700000000 }] });
  });

  it('applies base name (-2) and base time (-3) and reads "vlo", "vd" and a half float', () => {
    // [{-2: "/3303/0/", -3: 1700000000, 0: "5700", 2: 1.0 (half float)}, {0: "5700", 2: 25, 6: 10}]
    const payload = hex(`82
      a4 21 68 2f333330332f302f 22 1a 6553f100 00 64 35373030 02 f9 3c00
      a3 00 64 35373030 02 18 19 06 0a`);
    expect(decodeSenmlCborEntries(payload, testCatalog)).toEqual({
      ok: true,
      value: [
        { path: temperature, value: { type: 'float', value: 1 }, time: 1700000000 },
        { path: temperature, value: { type: 'float', value: 25 }, time: 1700000010 },
      ],
    });
  });

  it('reads the same Device object instance as SenML JSON does', () => {
    const encoded = encodeSenmlCbor(DEVICE_INSTANCE, { objectId: 3, instanceId: 0 });
    expect(encoded.ok && decodeSenmlCbor(encoded.value, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
    const json = '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"7/0","v":3800},{"n":"7/1","v":5000}]';
    // 83 a3 -2 "/3/0/" 0 "0" 3 "Open Mobile Alliance" | a2 0 "7/0" 2 3800 | a2 0 "7/1" 2 5000
    const cbor = hex(`83 a3 21 65 2f332f302f 00 61 30 03 74 4f70656e204d6f62696c6520416c6c69616e6365
      a2 00 63 372f30 02 19 0ed8 a2 00 63 372f31 02 19 1388`);
    const fromJson = decodeSenmlJson(new TextEncoder().encode(json), { objectId: 3, instanceId: 0 }, testCatalog);
    expect(decodeSenmlCbor(cbor, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual(fromJson);
    expect(fromJson).toEqual({ ok: true, value: instance(0, [single(0, str('Open Mobile Alliance')), multiple(7, 'integer', [[0, int(3800n)], [1, int(5000n)]])]) });
  });

  it.each([
    ['a map instead of an array', 'a0', 'SenML CBOR content is not a CBOR array', 0],
    ['a value of the wrong kind', '81 a2 00 66 2f332f302f39 03 61 31', 'SenML CBOR record 0: /3/0/9: a string is not a integer value', undefined],
    ['a must-understand label', '81 a2 00 66 2f332f302f39 64 666f6f5f 01', 'SenML CBOR record 0: label "foo_" must be understood and is not', undefined],
    ['records nested in records', '81 a1 00 81 00', 'CBOR nesting deeper than 3', 3],
    ['a tag', '81 a2 00 66 2f332f302f39 02 c1 01', 'CBOR tag 1 is not allowed here', 11],
  ])('refuses %s with a typed error', (_name, payload, message, offset) => {
    expect(decodeSenmlCborEntries(hex(payload), testCatalog)).toEqual({ ok: false, error: offset === undefined ? { message } : { message, offset } });
  });
});

describe('LwM2M CBOR', () => {
  // {[3, 0]: {0: "Open Mobile Alliance", 7: {0: 3800, 1: 5000}, 13: 1367491215}}
  const READ_DEVICE = hex(`a1 82 03 00 a3
    00 74 4f70656e204d6f62696c6520416c6c69616e6365
    07 a2 00 19 0ed8 01 19 1388
    0d 1a 5182428f`);
  const DEVICE_PART = instance(0, [single(0, str('Open Mobile Alliance')), multiple(7, 'integer', [[0, int(3800n)], [1, int(5000n)]]), single(13, { type: 'time', value: 1367491215 })]);

  it('folds the requested path into one array key and nests the rest by id', () => {
    expect(bytesOf(encodeLwM2mCbor(DEVICE_PART, { objectId: 3, instanceId: 0 }))).toBe(Buffer.from(READ_DEVICE).toString('hex'));
    expect(decodeLwM2mCbor(READ_DEVICE, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_PART });
  });

  it('reads the same content keyed one id at a time, or with a tag-1 time', () => {
    // {3: {0: {0: "Open Mobile Alliance", [7, 0]: 3800, [7, 1]: 5000, 13: 1(1367491215)}}}
    const nested = hex(`a1 03 a1 00 a4
      00 74 4f70656e204d6f62696c6520416c6c69616e6365
      82 07 00 19 0ed8 82 07 01 19 1388
      0d c1 1a 5182428f`);
    expect(decodeLwM2mCbor(nested, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_PART });
  });

  it('round-trips the whole Device instance of the spec', () => {
    const encoded = encodeLwM2mCbor(DEVICE_INSTANCE, { objectId: 3, instanceId: 0 });
    expect(encoded.ok && decodeLwM2mCbor(encoded.value, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
  });

  it('refuses timed entries, which it cannot carry', () => {
    expect(encodeLwM2mCborEntries([{ path: temperature, value: { type: 'float', value: 1 }, time: 1700000000 }])).toEqual({
      ok: false,
      error: { message: 'LwM2M CBOR cannot carry the time of /3303/0/5700; use SenML' },
    });
  });

  it.each([
    ['a value above resource level', 'a1 82 03 00 01', 'LwM2M CBOR: a value at /3/0, which is not a resource', undefined],
    ['a path of five ids', 'a1 85 03 00 07 00 01 01', 'LwM2M CBOR: path /3/0/7/0/1 is longer than 4 ids', undefined],
    ['a text key', 'a1 61 78 01', 'LwM2M CBOR: key string under / is not an id or an array of ids', undefined],
    ['null as a value', 'a1 83 03 00 09 f6', 'LwM2M CBOR: the value at /3/0/9 is a null, not an LwM2M value', undefined],
    ['an array announcing 2^32 entries', 'a1 9b 0000000100000000', 'CBOR array of 4294967296 entries runs past the end', 1],
    ['invalid UTF-8', 'a1 83 03 00 00 62 c328', 'CBOR text string is not valid UTF-8', 5],
    ['an indefinite-length string', 'a1 83 03 00 00 7f 61 61 ff', 'indefinite-length strings are not supported', 5],
    ['a shared-reference tag', 'a1 83 03 00 09 d8 1c 01', 'CBOR tag 28 is not allowed here', 5],
    ['trailing bytes', 'a0 00', '1 bytes after the end of the CBOR item', 1],
    ['a truncated float', 'a1 83 03 00 09 fb 0000', 'CBOR item head runs past the end', 5],
  ])('refuses %s with a typed error', (_name, payload, message, offset) => {
    expect(decodeLwM2mCborEntries(hex(payload), testCatalog)).toEqual({ ok: false, error: offset === undefined ? { message } : { message, offset } });
  });

  it('refuses ten thousand nested arrays without deep recursion', () => {
    const deep = hex(`a1 83 03 00 09 ${'81'.repeat(10_000)} 00`);
    expect(decodeLwM2mCborEntries(deep, testCatalog)).toEqual({ ok: false, error: { message: 'CBOR nesting deeper than 7', offset: 10 } });
  });
});
