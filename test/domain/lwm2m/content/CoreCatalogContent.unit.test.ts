import { describe, expect, it } from 'vitest';
import { CONTENT_FORMAT } from '../../../../src/domain/lwm2m/content/ContentFormat.ts';
import { decodeContent, decodeEntries, encodeContent } from '../../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { coreObjectCatalog } from '../../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { DEVICE_INSTANCE, DEVICE_RESOURCES_TLV } from './deviceFixture.ts';

// The codecs typed by the models the service ships, rather than by the tests' literals.
describe('content typed by the shipped core object models', () => {
  const catalog = coreObjectCatalog();
  const devicePath = { objectId: 3, instanceId: 0 };

  it('decodes the spec TLV example of the Device object and re-encodes it in every tree format', () => {
    const decoded = decodeContent(CONTENT_FORMAT.tlv, DEVICE_RESOURCES_TLV, devicePath, catalog);
    expect(decoded).toEqual({ ok: true, value: DEVICE_INSTANCE });
    for (const format of [CONTENT_FORMAT.tlv, CONTENT_FORMAT.lwm2mJson, CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.lwm2mCbor]) {
      const encoded = encodeContent(format, DEVICE_INSTANCE, devicePath);
      expect(encoded.ok && decodeContent(format, encoded.value, devicePath, catalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
    }
  });

  it('types a temperature Send in SenML JSON', () => {
    const payload = new TextEncoder().encode('[{"bn":"/3303/0/","bt":1700000000,"n":"5700","v":21.5},{"n":"5518","v":1700000000},{"n":"5701","vs":"Cel"}]');
    expect(decodeEntries(CONTENT_FORMAT.senmlJson, payload, catalog)).toEqual({
      ok: true,
      value: [
        { path: { objectId: 3303, instanceId: 0, resourceId: 5700 }, value: { type: 'float', value: 21.5 }, time: 1700000000 },
        { path: { objectId: 3303, instanceId: 0, resourceId: 5518 }, value: { type: 'time', value: 1700000000 }, time: 1700000000 },
        { path: { objectId: 3303, instanceId: 0, resourceId: 5701 }, value: { type: 'string', value: 'Cel' }, time: 1700000000 },
      ],
    });
  });
});
