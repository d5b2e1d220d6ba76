/**
 * OMA TLV encoding (content formats 11542 and the pre-registration 1542), LwM2M Core 1.1 section
 * 7.4.3. Each TLV is a type byte (bits 7-6 the kind, bit 5 a 16-bit identifier, bits 4-3 the width of
 * the length field, bits 2-0 a length below 8), the identifier, the length and the value.
 *
 * Encoding picks the smallest correct form: the 8-bit identifier when it fits, the length in the type
 * byte when below 8, else the narrowest of 8/16/24 bits; integers and times on the fewest of 1, 2, 4
 * or 8 bytes (two's complement, big-endian), unsigned integers the same way without sign; floats on 4
 * bytes when the value is exactly a 32-bit float (NaN and the infinities included), on 8 otherwise.
 */
import { pathLevel, type LwM2mPath } from '../LwM2mPath.ts';
import type { LwM2mNode, LwM2mValue, ObjectInstanceNode, ResourceNode } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { encodeUtf8 } from './ScalarConversion.ts';

export type TlvKind = 'objectInstance' | 'resourceInstance' | 'multipleResource' | 'resourceValue';

export const TLV_KIND_BITS: Readonly<Record<TlvKind, number>> = {
  objectInstance: 0b00,
  resourceInstance: 0b01,
  multipleResource: 0b10,
  resourceValue: 0b11,
};

/** The longest value a 24-bit length field can announce. */
export const TLV_MAX_LENGTH = 0xffffff;

/** Collects what the node holds that TLV cannot carry, so that encoding reports it instead of throwing. */
interface Problems {
  first?: string;
}

/**
 * Encodes `node`, the content for `path`. An object instance is written as its resources when `path`
 * names that instance (Write), and inside an object-instance TLV when `path` names the object (Create).
 */
export function encodeTlv(node: LwM2mNode, path: LwM2mPath): ContentResult<Uint8Array> {
  const problems: Problems = {};
  const bytes = concat(encodeNode(node, path, problems));
  return problems.first === undefined ? success(bytes) : failure(problems.first);
}

function encodeNode(node: LwM2mNode, path: LwM2mPath, problems: Problems): Uint8Array[] {
  switch (node.kind) {
    case 'object':
      return sortedById(node.instances).map((instance) => encodeObjectInstance(instance, problems));
    case 'objectInstance':
      return pathLevel(path) === 'object' ? [encodeObjectInstance(node, problems)] : encodeResources(node, problems);
    case 'resource':
    case 'multipleResource':
      return [encodeResource(node, problems)];
    case 'resourceInstance':
      return [tlv('resourceInstance', node.id, encodeTlvValue(node.value), problems)];
  }
}

function encodeObjectInstance(instance: ObjectInstanceNode, problems: Problems): Uint8Array {
  return tlv('objectInstance', instance.id, concat(encodeResources(instance, problems)), problems);
}

function encodeResources(instance: ObjectInstanceNode, problems: Problems): Uint8Array[] {
  return sortedById(instance.resources).map((resource) => encodeResource(resource, problems));
}

function encodeResource(resource: ResourceNode, problems: Problems): Uint8Array {
  if (resource.kind === 'resource') return tlv('resourceValue', resource.id, encodeTlvValue(resource.value), problems);
  const instances = [...resource.instances.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, value]) => tlv('resourceInstance', id, encodeTlvValue(value), problems));
  return tlv('multipleResource', resource.id, concat(instances), problems);
}

function sortedById<T>(map: ReadonlyMap<number, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

function tlv(kind: TlvKind, id: number, value: Uint8Array, problems: Problems): Uint8Array {
  const length = value.length;
  if (length > TLV_MAX_LENGTH) {
    problems.first ??= `a TLV value of ${length} bytes exceeds the 24-bit length field`;
    return new Uint8Array(0);
  }
  const wideId = id > 0xff;
  const lengthBytes = length < 8 ? 0 : length <= 0xff ? 1 : length <= 0xffff ? 2 : 3;
  const header = new Uint8Array(1 + (wideId ? 2 : 1) + lengthBytes);
  header[0] = (TLV_KIND_BITS[kind] << 6) | (wideId ? 0x20 : 0) | (lengthBytes << 3) | (lengthBytes === 0 ? length : 0);
  let position = 1;
  if (wideId) header[position++] = id >> 8;
  header[position++] = id & 0xff;
  for (let shift = (lengthBytes - 1) * 8; shift >= 0; shift -= 8) header[position++] = (length >> shift) & 0xff;
  return concat([header, value]);
}

/** The TLV value bytes of one typed value (Core 1.1 section 7.4.3, table of data types). */
export function encodeTlvValue(value: LwM2mValue): Uint8Array {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      return encodeUtf8(value.value);
    case 'integer':
      return encodeSigned(value.value);
    case 'time':
      return encodeSigned(BigInt(value.value));
    case 'unsigned':
      return encodeUnsigned(value.value);
    case 'float':
      return encodeFloat(value.value);
    case 'boolean':
      return Uint8Array.of(value.value ? 1 : 0);
    case 'opaque':
      return Uint8Array.from(value.value);
    case 'objlnk': {
      const bytes = new Uint8Array(4);
      const view = new DataView(bytes.buffer);
      view.setUint16(0, value.value.objectId);
      view.setUint16(2, value.value.instanceId);
      return bytes;
    }
  }
}

function encodeSigned(value: bigint): Uint8Array {
  const width = value >= -0x80n && value <= 0x7fn ? 1 : value >= -0x8000n && value <= 0x7fffn ? 2 : value >= -0x80000000n && value <= 0x7fffffffn ? 4 : 8;
  return bigEndian(BigInt.asUintN(width * 8, value), width);
}

function encodeUnsigned(value: bigint): Uint8Array {
  const width = value <= 0xffn ? 1 : value <= 0xffffn ? 2 : value <= 0xffffffffn ? 4 : 8;
  return bigEndian(value, width);
}

function bigEndian(value: bigint, width: number): Uint8Array {
  const bytes = new Uint8Array(width);
  let rest = value;
  for (let index = width - 1; index >= 0; index--) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

function encodeFloat(value: number): Uint8Array {
  if (Number.isNaN(value) || Math.fround(value) === value) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value);
    return bytes;
  }
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value);
  return bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let position = 0;
  for (const part of parts) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}
