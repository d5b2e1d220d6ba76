import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CONTENT_FORMAT } from '../../../../src/domain/lwm2m/content/ContentFormat.ts';
import { decodeContent, decodeContentFromEntries, decodeEntries, decodePaths, encodeContent, encodeEntries, encodePaths } from '../../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { formatPath, type LwM2mPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import type { PathValue } from '../../../../src/domain/lwm2m/LwM2mValue.ts';
import { contentArbitrary, entriesArbitrary, singleValueContentArbitrary } from './arbitraries.ts';
import { ALL_TYPES_OBJECT_ID, emptyCatalog, testCatalog } from './testCatalog.ts';

const TREE_FORMATS = [
  ['TLV', CONTENT_FORMAT.tlv],
  ['TLV (1542)', CONTENT_FORMAT.tlvPreRegistration],
  ['LwM2M JSON', CONTENT_FORMAT.lwm2mJson],
  ['LwM2M JSON (1543)', CONTENT_FORMAT.lwm2mJsonPreRegistration],
  ['SenML JSON', CONTENT_FORMAT.senmlJson],
  ['SenML CBOR', CONTENT_FORMAT.senmlCbor],
  ['LwM2M CBOR', CONTENT_FORMAT.lwm2mCbor],
] as const;
// JSON has no NaN or infinities; these formats refuse them (tested below) and round-trip the rest.
const JSON_FORMATS = new Set<number>([CONTENT_FORMAT.lwm2mJson, CONTENT_FORMAT.lwm2mJsonPreRegistration, CONTENT_FORMAT.senmlJson]);
const ALL_FORMATS = [...TREE_FORMATS, ['text/plain', CONTENT_FORMAT.textPlain], ['opaque', CONTENT_FORMAT.opaque]] as const;

const sortEntries = (entries: readonly PathValue[]): PathValue[] => [...entries].sort((a, b) => formatPath(a.path).localeCompare(formatPath(b.path)));

describe('every format round-trips every type at every level', () => {
  it.each(TREE_FORMATS)('%s', (_name, format) => {
    fc.assert(
      fc.property(contentArbitrary({ finiteFloats: JSON_FORMATS.has(format) }), ({ node, path }) => {
        const encoded = encodeContent(format, node, path);
        if (!encoded.ok) throw new Error(encoded.error.message);
        expect(decodeContent(format, encoded.value, path, testCatalog)).toEqual({ ok: true, value: node });
      }),
      { numRuns: 200 },
    );
  });

  it('text/plain, for single values', () => {
    fc.assert(
      fc.property(singleValueContentArbitrary({ finiteFloats: true }), ({ node, path }) => {
        const encoded = encodeContent(CONTENT_FORMAT.textPlain, node, path);
        if (!encoded.ok) throw new Error(encoded.error.message);
        expect(decodeContent(CONTENT_FORMAT.textPlain, encoded.value, path, testCatalog)).toEqual({ ok: true, value: node });
      }),
    );
  });

  it('opaque, for opaque values', () => {
    fc.assert(
      fc.property(singleValueContentArbitrary({ types: ['opaque'] }), ({ node, path }) => {
        const encoded = encodeContent(CONTENT_FORMAT.opaque, node, path);
        if (!encoded.ok) throw new Error(encoded.error.message);
        expect(decodeContent(CONTENT_FORMAT.opaque, encoded.value, path, testCatalog)).toEqual({ ok: true, value: node });
      }),
    );
  });

  it('JSON formats and text/plain refuse NaN and the infinities with an error, not a throw', () => {
    const path = { objectId: ALL_TYPES_OBJECT_ID, instanceId: 0, resourceId: 3 };
    for (const value of [Number.NaN, Infinity, -Infinity]) {
      for (const format of [...JSON_FORMATS, CONTENT_FORMAT.textPlain]) {
        const result = encodeContent(format, { kind: 'resource', id: 3, value: { type: 'float', value } }, path);
        expect(result.ok).toBe(false);
      }
    }
  });
});

describe('a node from the entries already decoded', () => {
  it.each(TREE_FORMATS)('is what decodeContent gives in %s, or left to it', (_name, format) => {
    const fromEntries = new Set<number>([CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.senmlCbor]);
    fc.assert(
      fc.property(contentArbitrary({ finiteFloats: JSON_FORMATS.has(format) }), ({ node, path }) => {
        const encoded = encodeContent(format, node, path);
        if (!encoded.ok) throw new Error(encoded.error.message);
        const entries = decodeEntries(format, encoded.value, testCatalog);
        if (!entries.ok) return;
        const gathered = decodeContentFromEntries(format, entries.value, path, testCatalog);
        if (fromEntries.has(format)) expect(gathered).toEqual(decodeContent(format, encoded.value, path, testCatalog));
        else expect(gathered).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});

describe('the formats that name full paths round-trip entries', () => {
  const timed = [
    ['SenML JSON', CONTENT_FORMAT.senmlJson, true],
    ['SenML CBOR', CONTENT_FORMAT.senmlCbor, true],
    ['LwM2M JSON', CONTENT_FORMAT.lwm2mJson, true],
    ['LwM2M CBOR', CONTENT_FORMAT.lwm2mCbor, false],
  ] as const;

  it.each(timed)('%s', (_name, format, withTimes) => {
    fc.assert(
      fc.property(entriesArbitrary({ timed: withTimes, finiteFloats: JSON_FORMATS.has(format) }), (entries) => {
        const encoded = encodeEntries(format, entries);
        if (!encoded.ok) throw new Error(encoded.error.message);
        const decoded = decodeEntries(format, encoded.value, testCatalog);
        if (!decoded.ok) throw new Error(decoded.error.message);
        // LwM2M CBOR groups values by path; the others keep the order.
        expect(format === CONTENT_FORMAT.lwm2mCbor ? sortEntries(decoded.value) : decoded.value).toEqual(format === CONTENT_FORMAT.lwm2mCbor ? sortEntries(entries) : entries);
      }),
      { numRuns: 200 },
    );
  });

  it.each([CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.senmlCbor])('paths of composite requests round-trip in %s', (format) => {
    const segment = fc.integer({ min: 0, max: 65534 });
    const path = fc
      .tuple(segment, fc.option(segment, { nil: undefined }), fc.option(segment, { nil: undefined }), fc.option(segment, { nil: undefined }))
      .map(([objectId, instanceId, resourceId, resourceInstanceId]): LwM2mPath => {
        if (instanceId === undefined) return { objectId };
        if (resourceId === undefined) return { objectId, instanceId };
        return resourceInstanceId === undefined ? { objectId, instanceId, resourceId } : { objectId, instanceId, resourceId, resourceInstanceId };
      });
    fc.assert(
      fc.property(fc.array(path, { maxLength: 5 }), (paths) => {
        const encoded = encodePaths(format, paths);
        if (!encoded.ok) throw new Error(encoded.error.message);
        expect(decodePaths(format, encoded.value)).toEqual({ ok: true, value: paths });
      }),
    );
  });
});

describe('hostile content never makes a decoder throw', () => {
  const paths: LwM2mPath[] = [
    { objectId: 3 },
    { objectId: 3, instanceId: 0 },
    { objectId: 3, instanceId: 0, resourceId: 7 },
    { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 1 },
    { objectId: ALL_TYPES_OBJECT_ID, instanceId: 1, resourceId: 0 },
  ];
  const pathArbitrary = fc.constantFrom(...paths);
  const catalogArbitrary = fc.constantFrom(testCatalog, emptyCatalog);

  function decodesWithoutThrowing(format: number, bytes: Uint8Array, path: LwM2mPath, catalog = testCatalog): void {
    const node = decodeContent(format, bytes, path, catalog, { now: 1_800_000_000 });
    expect(typeof node.ok).toBe('boolean');
    if (!node.ok) expect(typeof node.error.message).toBe('string');
    const entries = decodeEntries(format, bytes, catalog, { now: 1_800_000_000 });
    expect(typeof entries.ok).toBe('boolean');
    expect(typeof decodePaths(format, bytes).ok).toBe('boolean');
  }

  it.each(ALL_FORMATS)('%s, fed random bytes', (_name, format) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), pathArbitrary, catalogArbitrary, (bytes, path, catalog) => decodesWithoutThrowing(format, bytes, path, catalog)),
      { numRuns: 500 },
    );
  });

  it.each(TREE_FORMATS)('%s, fed valid content with bytes flipped, cut or added', (_name, format) => {
    const mutated = fc.tuple(contentArbitrary({ finiteFloats: true }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), fc.uint8Array({ maxLength: 8 }));
    fc.assert(
      fc.property(mutated, ([{ node, path }, flips, cut, extra]) => {
        const encoded = encodeContent(format, node, path);
        if (!encoded.ok) return;
        const bytes = Uint8Array.from(encoded.value);
        for (const [position, byte] of flips) if (bytes.length > 0) bytes[position % bytes.length] = byte;
        const truncated = bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1));
        decodesWithoutThrowing(format, truncated, path);
        decodesWithoutThrowing(format, Uint8Array.from([...bytes, ...extra]), path);
      }),
      { numRuns: 300 },
    );
  });

  it.each([CONTENT_FORMAT.lwm2mJson, CONTENT_FORMAT.senmlJson])('JSON format %s, fed arbitrary JSON', (format) => {
    fc.assert(
      fc.property(fc.json(), pathArbitrary, (text, path) => decodesWithoutThrowing(format, new TextEncoder().encode(text), path)),
      { numRuns: 300 },
    );
  });
});
