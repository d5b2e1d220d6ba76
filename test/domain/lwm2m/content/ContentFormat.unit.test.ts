import { describe, expect, it } from 'vitest';
import {
  chooseContentFormat,
  CONTENT_FORMAT,
  contentFormatByName,
  contentFormatCandidates,
  contentFormatName,
  nextFallback,
  usableContentFormats,
  type ContentOperation,
} from '../../../../src/domain/lwm2m/content/ContentFormat.ts';
import { decodeContent, encodeContent } from '../../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { DEVICE_INSTANCE } from './deviceFixture.ts';
import { ALL_TYPES_OBJECT_ID, allTypesResourceId, testCatalog } from './testCatalog.ts';

const readInstance: ContentOperation = { kind: 'read', path: { objectId: 3, instanceId: 0 } };
const readResource: ContentOperation = { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 9 } };
const composite: ContentOperation = { kind: 'composite' };

describe('choosing a content format', () => {
  it('prefers TLV for 1.0 and SenML CBOR for 1.1 and 1.2 when the device announced nothing', () => {
    expect(chooseContentFormat('1.0', [], readInstance)).toBe(CONTENT_FORMAT.tlv);
    expect(chooseContentFormat('1.1', [], readInstance)).toBe(CONTENT_FORMAT.senmlCbor);
    expect(chooseContentFormat('1.2', [], readInstance)).toBe(CONTENT_FORMAT.senmlCbor);
    expect(contentFormatCandidates('1.2', [], readInstance)).not.toContain(CONTENT_FORMAT.lwm2mCbor);
    expect(chooseContentFormat('1.1.1', [], readInstance)).toBe(CONTENT_FORMAT.senmlCbor);
  });

  it('prefers LwM2M CBOR for a 1.2 device that announced it, and never for 1.0 or 1.1', () => {
    const announced = [60, 110, 112, 11542, 11543, 11544];
    expect(chooseContentFormat('1.2', announced, readInstance)).toBe(CONTENT_FORMAT.lwm2mCbor);
    expect(chooseContentFormat('1.1', announced, readInstance)).toBe(CONTENT_FORMAT.senmlCbor);
    expect(chooseContentFormat('1.0', announced, readInstance)).toBe(CONTENT_FORMAT.tlv);
    expect(chooseContentFormat('1.2', announced, composite)).toBe(CONTENT_FORMAT.senmlCbor);
  });

  it('keeps to what the device announced, in our order', () => {
    expect(chooseContentFormat('1.1', [CONTENT_FORMAT.tlv, CONTENT_FORMAT.senmlJson], readInstance)).toBe(CONTENT_FORMAT.senmlJson);
    expect(contentFormatCandidates('1.2', [CONTENT_FORMAT.tlv, CONTENT_FORMAT.senmlCbor, 60], readInstance)).toEqual([CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.tlv]);
  });

  it('ends with text/plain for a single resource', () => {
    expect(contentFormatCandidates('1.0', [], readResource)).toEqual([CONTENT_FORMAT.tlv, CONTENT_FORMAT.lwm2mJson, 1542, 1543, CONTENT_FORMAT.textPlain]);
  });

  it('offers SenML only for composite operations, and nothing on 1.0', () => {
    expect(contentFormatCandidates('1.1', [], composite)).toEqual([CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.senmlJson]);
    expect(chooseContentFormat('1.0', [], composite)).toBeUndefined();
  });

  it('walks the fallbacks after 4.06 or 4.15 and stops at the end', () => {
    const chain: number[] = [];
    for (let format = chooseContentFormat('1.1', [], readResource); format !== undefined; format = nextFallback(format, '1.1', [], readResource)) chain.push(format);
    expect(chain).toEqual([112, 110, 11542, 11543, 0]);
    expect(nextFallback(60, '1.1', [], readResource)).toBeUndefined();
  });

  it('names the formats', () => {
    expect(contentFormatName(11542)).toBe('application/vnd.oma.lwm2m+tlv');
    expect(contentFormatName(60)).toBe('application/cbor');
    expect(contentFormatName(61)).toBe('content format 61');
  });

  it('keeps CBOR (60) out of the defaults, even announced, and offers it to an operator for a single value only', () => {
    expect(contentFormatCandidates('1.2', [CONTENT_FORMAT.cbor, CONTENT_FORMAT.textPlain], readResource)).toEqual([CONTENT_FORMAT.textPlain]);
    expect(usableContentFormats(readResource)).toContain(CONTENT_FORMAT.cbor);
    expect(usableContentFormats(readInstance)).not.toContain(CONTENT_FORMAT.cbor);
    expect(usableContentFormats(readInstance)).not.toContain(CONTENT_FORMAT.textPlain);
    expect(usableContentFormats(composite)).toEqual([CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.senmlJson]);
  });

  it('finds a format by its short name or its id', () => {
    expect(contentFormatByName('senml-cbor')).toBe(112);
    expect(contentFormatByName('cbor')).toBe(60);
    expect(contentFormatByName('11542')).toBe(CONTENT_FORMAT.tlv);
    expect(contentFormatByName('0112')).toBeUndefined();
    expect(contentFormatByName('61')).toBeUndefined();
    expect(contentFormatByName('toString')).toBeUndefined();
  });
});

describe('the codec facade', () => {
  it.each([0, 42, 1542, 11542, 1543, 11543, 110, 112, 11544])('dispatches content format %i both ways', (format) => {
    const path = { objectId: 3, instanceId: 0, resourceId: 0 };
    const opaquePath = { objectId: ALL_TYPES_OBJECT_ID, instanceId: 0, resourceId: allTypesResourceId('opaque', false) };
    const node =
      format === 42
        ? { kind: 'resource' as const, id: opaquePath.resourceId, value: { type: 'opaque' as const, value: Uint8Array.of(1) } }
        : { kind: 'resource' as const, id: 0, value: { type: 'string' as const, value: 'Open Mobile Alliance' } };
    const target = format === 42 ? opaquePath : path;
    const encoded = encodeContent(format, node, target);
    expect(encoded.ok && decodeContent(format, encoded.value, target, testCatalog)).toEqual({ ok: true, value: node });
  });

  it('decodes the pre-registration TLV id like TLV', () => {
    const encoded = encodeContent(CONTENT_FORMAT.tlv, DEVICE_INSTANCE, { objectId: 3, instanceId: 0 });
    expect(encoded.ok && decodeContent(CONTENT_FORMAT.tlvPreRegistration, encoded.value, { objectId: 3, instanceId: 0 }, testCatalog)).toEqual({ ok: true, value: DEVICE_INSTANCE });
  });

  it('refuses to encode a node for a path it does not belong to', () => {
    expect(encodeContent(CONTENT_FORMAT.tlv, DEVICE_INSTANCE, { objectId: 3, instanceId: 1 })).toEqual({
      ok: false,
      error: { message: 'a objectInstance with id 0 is not content for /3/1' },
    });
    expect(encodeContent(CONTENT_FORMAT.senmlJson, { kind: 'resource', id: 9, value: { type: 'integer', value: 1n } }, { objectId: 3, instanceId: 0, resourceId: 10 }).ok).toBe(false);
  });

  it('refuses formats that carry no node', () => {
    expect(decodeContent(CONTENT_FORMAT.linkFormat, new Uint8Array(), { objectId: 3 }, testCatalog)).toEqual({
      ok: false,
      error: { message: 'application/link-format cannot carry LwM2M node content' },
    });
  });
});
