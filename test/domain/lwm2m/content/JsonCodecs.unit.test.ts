import { describe, expect, it } from 'vitest';
import { decodeLwM2mJson, decodeLwM2mJsonEntries, encodeLwM2mJson } from '../../../../src/domain/lwm2m/content/LwM2mJsonCodec.ts';
import { decodeSenmlJson, decodeSenmlJsonEntries, decodeSenmlJsonPaths, encodeSenmlJson, encodeSenmlJsonEntries } from '../../../../src/domain/lwm2m/content/SenmlJsonCodec.ts';
import { DEVICE_INSTANCE, single } from './deviceFixture.ts';
import { ALL_TYPES_OBJECT_ID, allTypesResourceId, emptyCatalog, testCatalog } from './testCatalog.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (result: { ok: boolean; value?: Uint8Array }): string => (result.ok && result.value !== undefined ? new TextDecoder().decode(result.value) : 'encoding failed');

// Read /3/0 in LwM2M JSON, the example of Core 1.0 section 6.4.4.
const DEVICE_LWM2M_JSON =
  '{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"1","sv":"Lightweight M2M Client"},{"n":"2","sv":"345000123"},' +
  '{"n":"3","sv":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},{"n":"7/1","v":5000},{"n":"8/0","v":125},' +
  '{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},{"n":"14","sv":"+02:00"},{"n":"16","sv":"U"}]}';

// Read /3/0 in SenML JSON, the example of Core 1.1 section 7.4.5.
const DEVICE_SENML_JSON =
  '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"1","vs":"Lightweight M2M Client"},{"n":"2","vs":"345000123"},' +
  '{"n":"3","vs":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},{"n":"7/1","v":5000},{"n":"8/0","v":125},' +
  '{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},{"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}]';

describe('LwM2M JSON', () => {
  it('decodes and encodes the Device object instance of the spec, byte for byte', () => {
    expect(decodeLwM2mJson(utf8(DEVICE_LWM2M_JSON), { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
    expect(text(encodeLwM2mJson(DEVICE_INSTANCE, { objectId: 3, instanceId: 0 }))).toBe(DEVICE_LWM2M_JSON);
  });

  it('accepts a root base name or none, with full names', () => {
    const rooted = DEVICE_LWM2M_JSON.replace('"bn":"/3/0/"', '"bn":"/"').replace(/"n":"/g, '"n":"3/0/');
    expect(decodeLwM2mJson(utf8(rooted), { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
    const bare = DEVICE_LWM2M_JSON.replace('"bn":"/3/0/",', '').replace(/"n":"/g, '"n":"/3/0/');
    expect(decodeLwM2mJson(utf8(bare), { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
  });

  it('reads historical values as bt + t (the spec example of a notification with timestamps)', () => {
    const payload = '{"bn":"/1024/0/1","e":[{"v":22.9,"t":-30},{"v":22.4,"t":-5},{"v":24.1,"t":-50}],"bt":25462634}';
    const path = { objectId: 1024, instanceId: 0, resourceId: 1 };
    expect(decodeLwM2mJsonEntries(utf8(payload), emptyCatalog)).toEqual({
      ok: true,
      value: [
        { path, value: { type: 'float', value: 22.9 }, time: 25462604 },
        { path, value: { type: 'float', value: 22.4 }, time: 25462629 },
        { path, value: { type: 'float', value: 24.1 }, time: 25462584 },
      ],
    });
    expect(decodeLwM2mJson(utf8(payload), path, emptyCatalog)).toEqual({
      ok: false,
      error: { message: 'several values for /1024/0/1: a time series is decoded as entries, not as a node' },
    });
  });

  it('keeps 64-bit integers exact and writes opaque as base64 in "sv"', () => {
    const path = { objectId: ALL_TYPES_OBJECT_ID, instanceId: 0 };
    const payload = `{"bn":"/9000/0/","e":[{"n":"${allTypesResourceId('unsigned', false)}","v":18446744073709551615},{"n":"${allTypesResourceId('opaque', false)}","sv":"AQID"}]}`;
    const decoded = decodeLwM2mJson(utf8(payload), path, testCatalog);
    expect(decoded.ok && decoded.value.kind === 'objectInstance' && [...decoded.value.resources.values()]).toEqual([
      single(allTypesResourceId('unsigned', false), { type: 'unsigned', value: 2n ** 64n - 1n }),
      single(allTypesResourceId('opaque', false), { type: 'opaque', value: Uint8Array.of(1, 2, 3) }),
    ]);
    expect(decoded.ok && text(encodeLwM2mJson(decoded.value, path))).toBe(payload);
  });

  it.each([
    ['not JSON', '{"e":', 'invalid JSON: Unexpected end of JSON input'],
    ['no "e"', '{"bn":"/3/0/"}', 'LwM2M JSON content has no "e" array'],
    ['two values in one entry', '{"e":[{"n":"/3/0/9","v":1,"sv":"1"}]}', 'LwM2M JSON e[0]: expected exactly one of v, sv, bv, ov; found 2'],
    ['a string for an integer', '{"e":[{"n":"/3/0/9","sv":"1"}]}', 'LwM2M JSON e[0]: /3/0/9: a string is not a integer value'],
    ['a bad path', '{"e":[{"n":"/3/x","v":1}]}', 'LwM2M JSON e[0]: invalid LwM2M path "/3/x": level 2 ("x") is not an id from 0 to 65534'],
  ])('refuses %s with a typed error', (_name, payload, message) => {
    const result = decodeLwM2mJson(utf8(payload), { objectId: 3, instanceId: 0 }, testCatalog);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toBe(message);
  });
});

describe('SenML JSON', () => {
  it('decodes and encodes the Device object instance of the spec, byte for byte', () => {
    expect(decodeSenmlJson(utf8(DEVICE_SENML_JSON), { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
    expect(text(encodeSenmlJson(DEVICE_INSTANCE, { objectId: 3, instanceId: 0 }))).toBe(DEVICE_SENML_JSON);
  });

  it('applies base name and base time to later records and resolves relative times against the reception time', () => {
    const payload = '[{"bn":"/3303/0/","bt":1700000000,"n":"5700","v":24.5},{"n":"5700","v":25,"t":10},{"bn":"/3303/1/","bt":-20,"n":"5700","v":3}]';
    expect(decodeSenmlJsonEntries(utf8(payload), testCatalog, { now: 1800000000 })).toEqual({
      ok: true,
      value: [
        { path: { objectId: 3303, instanceId: 0, resourceId: 5700 }, value: { type: 'float', value: 24.5 }, time: 1700000000 },
        { path: { objectId: 3303, instanceId: 0, resourceId: 5700 }, value: { type: 'float', value: 25 }, time: 1700000010 },
        { path: { objectId: 3303, instanceId: 1, resourceId: 5700 }, value: { type: 'float', value: 3 }, time: 1799999980 },
      ],
    });
    expect(decodeSenmlJsonEntries(utf8(payload), testCatalog)).toEqual({
      ok: false,
      error: { message: 'SenML JSON record 2: relative time -20 needs the time of reception' },
    });
  });

  it('takes a record of base fields alone as setting them for the records after it', () => {
    const payload = '[{"bn":"/3303/0/","bt":1700000000},{"n":"5700","v":24.5}]';
    expect(decodeSenmlJsonEntries(utf8(payload), testCatalog)).toEqual({
      ok: true,
      value: [{ path: { objectId: 3303, instanceId: 0, resourceId: 5700 }, value: { type: 'float', value: 24.5 }, time: 1700000000 }],
    });
  });

  it('writes a Send payload with full names, vd as base64url and vlo for object links', () => {
    const entries = [
      { path: { objectId: 3303, instanceId: 0, resourceId: 5700 }, value: { type: 'float' as const, value: 24.5 }, time: 1700000000 },
      { path: { objectId: ALL_TYPES_OBJECT_ID, instanceId: 0, resourceId: allTypesResourceId('opaque', false) }, value: { type: 'opaque' as const, value: Uint8Array.of(0xfb, 0xff) } },
      { path: { objectId: ALL_TYPES_OBJECT_ID, instanceId: 0, resourceId: allTypesResourceId('objlnk', false) }, value: { type: 'objlnk' as const, value: { objectId: 3, instanceId: 0 } } },
    ];
    expect(text(encodeSenmlJsonEntries(entries))).toBe('[{"n":"/3303/0/5700","v":24.5,"t":1700000000},{"n":"/9000/0/5","vd":"-_8"},{"n":"/9000/0/7","vlo":"3:0"}]');
  });

  it('reads the path list of a Read-Composite request', () => {
    expect(decodeSenmlJsonPaths(utf8('[{"n":"/3/0/9"},{"n":"/3303"},{"bn":"/1","n":"/0"}]'))).toEqual({
      ok: true,
      value: [{ objectId: 3, instanceId: 0, resourceId: 9 }, { objectId: 3303 }, { objectId: 1, instanceId: 0 }],
    });
  });

  it.each([
    ['an object', '{"n":"/3/0/9"}', 'SenML JSON content is not a JSON array'],
    ['a must-understand label', '[{"n":"/3/0/9","v":1,"foo_":1}]', 'SenML JSON record 0: label "foo_" must be understood and is not'],
    ['two values', '[{"n":"/3/0/9","v":1,"vs":"1"}]', 'SenML JSON record 0: several values (v, vs)'],
    ['no value', '[{"n":"/3/0/9"}]', 'SenML JSON record 0 (/3/0/9) has no value'],
    ['an integer out of range', '[{"n":"/3/0/9","v":9223372036854775808}]', 'SenML JSON record 0: /3/0/9: 9223372036854775808 is outside the signed 64-bit range'],
    ['a fraction for an integer', '[{"n":"/3/0/9","v":1.5}]', 'SenML JSON record 0: /3/0/9: 1.5 is not an integer'],
    ['a number beyond doubles', '[{"n":"/3303/0/5700","v":1e400}]', 'SenML JSON record 0: "v" is not a finite number'],
    ['times that add up beyond doubles', '[{"bt":1e308,"n":"/3303/0/5700","v":1,"t":1e308}]', 'SenML JSON record 0: time out of range'],
  ])('refuses %s with a typed error', (_name, payload, message) => {
    const result = decodeSenmlJsonEntries(utf8(payload), testCatalog);
    expect(result).toEqual({ ok: false, error: { message } });
  });

  it('survives JSON nested a hundred thousand levels deep, with and without long numbers', () => {
    const deep = utf8('['.repeat(100_000) + ']'.repeat(100_000));
    expect(decodeSenmlJsonEntries(deep, testCatalog).ok).toBe(false);
    const deepWithLongNumber = utf8(`${'['.repeat(100_000)}12345678901234567890${']'.repeat(100_000)}`);
    expect(decodeSenmlJsonEntries(deepWithLongNumber, testCatalog).ok).toBe(false);
  });
});
