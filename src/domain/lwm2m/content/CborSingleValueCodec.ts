/**
 * application/cbor (content format 60), LwM2M Core 1.2 section 7.4.6: one resource value, a
 * single-instance resource or a resource instance, as one CBOR data item with no path around it. The
 * item's major type follows the LwM2M type as in LwM2M CBOR (section 7.4.7): integer, unsigned and
 * time as CBOR integers, float as a CBOR float, boolean as false/true, string and core link as text
 * strings, object link as the text "3:0", opaque as a byte string.
 *
 * Writing, a time is a plain integer of seconds (no tag); reading, tag 1 (epoch-based time, RFC 8949
 * section 3.4.2) around a number is accepted too, as LwM2M CBOR reads it. An opaque value must be a
 * byte string: the base64 text other formats use for opaque has no place in a format with bytes.
 */
import { formatPath, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode } from '../LwM2mValue.ts';
import { readCbor } from './CborReader.ts';
import { CborWriter } from './CborWriter.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { cborItemToWire, writeCborValue } from './LwM2mCborCodec.ts';
import { valueTypeAt } from './ModelLookup.ts';
import { checkSingleValuePath, singleValueNode, singleValueOf } from './SingleValueContent.ts';
import { typeWireValue, valueToWire } from './WireValue.ts';

const FORMAT = 'CBOR';
const EPOCH_TIME_TAG = 1;
// The item itself and at most the tag around a time.
const LIMITS = { maxDepth: 2, allowedTags: [EPOCH_TIME_TAG] };

export function encodeCborSingleValue(node: LwM2mNode): ContentResult<Uint8Array> {
  const value = singleValueOf(node, FORMAT);
  if (!value.ok) return value;
  const writer = new CborWriter();
  writeCborValue(writer, valueToWire(value.value, 'bytes'));
  return success(writer.toBytes());
}

/** Decodes the value of the resource (instance) at `path`; a resource the model does not know is typed by the CBOR item. */
export function decodeCborSingleValue(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> {
  const checked = checkSingleValuePath(path, catalog, FORMAT);
  if (!checked.ok) return checked;
  const item = readCbor(bytes, LIMITS);
  if (!item.ok) return item;
  const wire = cborItemToWire(item.value);
  if (wire === undefined) return failure(`${FORMAT} content for ${formatPath(path)} is a ${describe(item.value)}, not a single value`, 0);
  const type = valueTypeAt(catalog, path);
  if (!type.ok) return type;
  if (type.value === 'opaque' && wire.kind !== 'bytes') return failure(`${FORMAT} content for ${formatPath(path)}, an opaque resource, is not a byte string`, 0);
  const typed = typeWireValue(path, wire, catalog);
  return typed.ok ? success(singleValueNode(path, typed.value)) : failure(`${FORMAT} content for ${typed.error.message}`, 0);
}

function describe(item: unknown): string {
  if (item === null) return 'null';
  if (item instanceof Map) return 'map';
  return Array.isArray(item) ? 'array' : typeof item;
}
