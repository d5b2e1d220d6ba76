/**
 * OMA TLV decoding (content formats 11542 and 1542), LwM2M Core 1.1 section 7.4.3, typed by the
 * object model (TLV carries no types). Hostile input cannot make it throw, recurse or allocate beyond
 * the input: every length is checked against the bytes that remain, and the nesting is fixed by the
 * format (object instance > multiple resource > resource instance).
 *
 * Leniencies, as real clients need them (and as Leshan accepts them): resource TLVs without an
 * object-instance TLV at object level are read as instance 0; an object-instance TLV wrapping the
 * requested instance or resource is unwrapped; resource-instance TLVs without their multiple-resource
 * TLV are read as that resource's instances.
 */
import { MAX_ID, formatPath, pathLevel, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, LwM2mValue, LwM2mValueType, ObjectInstanceNode, ResourceNode } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { isMultipleAt, valueTypeAt } from './ModelLookup.ts';
import { decodeUtf8, numberToValue } from './ScalarConversion.ts';
import type { TlvKind } from './TlvEncoder.ts';

const KINDS: readonly TlvKind[] = ['objectInstance', 'resourceInstance', 'multipleResource', 'resourceValue'];

interface Tlv {
  readonly kind: TlvKind;
  readonly id: number;
  /** Offset of the type byte, for error messages. */
  readonly offset: number;
  readonly start: number;
  readonly end: number;
}

type Failure = { readonly ok: false; readonly error: { readonly message: string; readonly offset?: number } };

/** Reads the TLVs laid side by side in bytes[start, end). */
function readTlvs(bytes: Uint8Array, start: number, end: number): ContentResult<Tlv[]> {
  const tlvs: Tlv[] = [];
  let position = start;
  while (position < end) {
    const offset = position;
    const type = bytes[position++] as number;
    const kind = KINDS[type >> 6] as TlvKind;
    const idBytes = type & 0x20 ? 2 : 1;
    const lengthBytes = (type >> 3) & 0x03;
    if (position + idBytes + lengthBytes > end) return failure('TLV header runs past the end of its content', offset);
    let id = 0;
    for (let index = 0; index < idBytes; index++) id = (id << 8) | (bytes[position++] as number);
    if (id > MAX_ID) return failure(`TLV identifier ${id} is reserved`, offset);
    let length = lengthBytes === 0 ? type & 0x07 : 0;
    for (let index = 0; index < lengthBytes; index++) length = length * 256 + (bytes[position++] as number);
    if (position + length > end) return failure(`TLV value of ${length} bytes runs past the end of its content`, offset);
    tlvs.push({ kind, id, offset, start: position, end: position + length });
    position += length;
  }
  return success(tlvs);
}

/** Decodes TLV content for `path` into the node that the path's level calls for. */
export function decodeTlv(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> {
  const top = readTlvs(bytes, 0, bytes.length);
  if (!top.ok) return top;
  const tlvs = top.value;
  const { objectId } = path;
  switch (pathLevel(path)) {
    case 'object': {
      if (tlvs.every((tlv) => tlv.kind === 'objectInstance')) {
        const instances = new Map<number, ObjectInstanceNode>();
        for (const tlv of tlvs) {
          if (instances.has(tlv.id)) return failure(`object instance ${tlv.id} appears twice`, tlv.offset);
          const instance = decodeInstance(bytes, tlv.start, tlv.end, objectId, tlv.id, catalog);
          if (!instance.ok) return instance;
          instances.set(tlv.id, instance.value);
        }
        return success({ kind: 'object', id: objectId, instances });
      }
      const instance = decodeResources(bytes, tlvs, objectId, 0, catalog);
      if (!instance.ok) return instance;
      return success({ kind: 'object', id: objectId, instances: new Map([[0, instance.value]]) });
    }
    case 'instance': {
      const instanceId = path.instanceId as number;
      const inner = unwrapInstance(bytes, tlvs, instanceId);
      if (!inner.ok) return inner;
      return decodeResources(bytes, inner.value, objectId, instanceId, catalog);
    }
    case 'resource': {
      const instanceId = path.instanceId as number;
      const resourceId = path.resourceId as number;
      const inner = unwrapInstance(bytes, tlvs, instanceId);
      if (!inner.ok) return inner;
      const content = inner.value;
      const first = content[0];
      if (content.length === 1 && first !== undefined && first.kind !== 'resourceInstance') {
        if (first.kind === 'objectInstance') return failure('an object instance TLV inside a resource', first.offset);
        if (first.id !== resourceId) return failure(`TLV for resource ${first.id} where ${formatPath(path)} was expected`, first.offset);
        return decodeResource(bytes, first, objectId, instanceId, catalog);
      }
      if (content.length === 0 && isMultipleAt(catalog, objectId, resourceId) !== true) {
        return failure(`empty TLV content for the single resource ${formatPath(path)}`);
      }
      return decodeResourceInstances(bytes, content, { objectId, instanceId, resourceId }, catalog);
    }
    case 'resourceInstance': {
      const first = tlvs[0];
      if (tlvs.length !== 1 || first === undefined || first.kind !== 'resourceInstance') {
        return failure(`expected one resource-instance TLV for ${formatPath(path)}`, first?.offset ?? 0);
      }
      if (first.id !== path.resourceInstanceId) return failure(`TLV for resource instance ${first.id} where ${formatPath(path)} was expected`, first.offset);
      const type = resolveType(path, catalog);
      if (!type.ok) return type;
      const value = decodeTlvValue(bytes, first.start, first.end, type.value);
      if (!value.ok) return value;
      return success({ kind: 'resourceInstance', id: first.id, value: value.value });
    }
  }
}

/** Strips an object-instance TLV around the content, when there is one and it names `instanceId`. */
function unwrapInstance(bytes: Uint8Array, tlvs: Tlv[], instanceId: number): ContentResult<Tlv[]> {
  const first = tlvs[0];
  if (first === undefined || first.kind !== 'objectInstance') return success(tlvs);
  if (tlvs.length !== 1) return failure('several object instance TLVs where one instance was asked for', first.offset);
  if (first.id !== instanceId) return failure(`TLV for object instance ${first.id} where ${instanceId} was expected`, first.offset);
  return readTlvs(bytes, first.start, first.end);
}

function decodeInstance(bytes: Uint8Array, start: number, end: number, objectId: number, instanceId: number, catalog: ObjectModelCatalog): ContentResult<ObjectInstanceNode> {
  const tlvs = readTlvs(bytes, start, end);
  if (!tlvs.ok) return tlvs;
  return decodeResources(bytes, tlvs.value, objectId, instanceId, catalog);
}

function decodeResources(bytes: Uint8Array, tlvs: readonly Tlv[], objectId: number, instanceId: number, catalog: ObjectModelCatalog): ContentResult<ObjectInstanceNode> {
  const resources = new Map<number, ResourceNode>();
  for (const tlv of tlvs) {
    if (tlv.kind === 'objectInstance' || tlv.kind === 'resourceInstance') {
      return failure(`unexpected ${tlv.kind} TLV among the resources of /${objectId}/${instanceId}`, tlv.offset);
    }
    if (resources.has(tlv.id)) return failure(`resource ${tlv.id} appears twice in /${objectId}/${instanceId}`, tlv.offset);
    const resource = decodeResource(bytes, tlv, objectId, instanceId, catalog);
    if (!resource.ok) return resource;
    resources.set(tlv.id, resource.value);
  }
  return success({ kind: 'objectInstance', id: instanceId, resources });
}

function decodeResource(bytes: Uint8Array, tlv: Tlv, objectId: number, instanceId: number, catalog: ObjectModelCatalog): ContentResult<ResourceNode> {
  const path = { objectId, instanceId, resourceId: tlv.id };
  if (tlv.kind === 'multipleResource') {
    const inner = readTlvs(bytes, tlv.start, tlv.end);
    if (!inner.ok) return inner;
    return decodeResourceInstances(bytes, inner.value, path, catalog);
  }
  const type = resolveType(path, catalog);
  if (!type.ok) return type;
  const value = decodeTlvValue(bytes, tlv.start, tlv.end, type.value);
  if (!value.ok) return value;
  return success({ kind: 'resource', id: tlv.id, value: value.value });
}

function decodeResourceInstances(
  bytes: Uint8Array,
  tlvs: readonly Tlv[],
  path: { objectId: number; instanceId: number; resourceId: number },
  catalog: ObjectModelCatalog,
): ContentResult<ResourceNode> {
  const type = resolveType(path, catalog);
  if (!type.ok) return type;
  const instances = new Map<number, LwM2mValue>();
  for (const tlv of tlvs) {
    if (tlv.kind !== 'resourceInstance') return failure(`unexpected ${tlv.kind} TLV among the instances of ${formatPath(path)}`, tlv.offset);
    if (instances.has(tlv.id)) return failure(`resource instance ${tlv.id} appears twice in ${formatPath(path)}`, tlv.offset);
    const value = decodeTlvValue(bytes, tlv.start, tlv.end, type.value);
    if (!value.ok) return value;
    instances.set(tlv.id, value.value);
  }
  return success({ kind: 'multipleResource', id: path.resourceId, type: type.value, instances });
}

/** The model's type of the resource; a resource the model does not know is kept as opaque bytes. */
function resolveType(path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mValueType> {
  const type = valueTypeAt(catalog, path);
  if (!type.ok) return type;
  return success(type.value ?? 'opaque');
}

/** Decodes the value bytes[start, end) as `type` (Core 1.1 section 7.4.3, table of data types). */
export function decodeTlvValue(bytes: Uint8Array, start: number, end: number, type: LwM2mValueType): ContentResult<LwM2mValue> {
  const length = end - start;
  const slice = bytes.subarray(start, end);
  const fail = (reason: string): Failure => failure(`${type} value: ${reason}`, start);
  switch (type) {
    case 'string':
    case 'corelnk': {
      const text = decodeUtf8(slice);
      return text === undefined ? fail('not valid UTF-8') : success({ type, value: text });
    }
    case 'integer':
    case 'time':
    case 'unsigned': {
      if (length !== 1 && length !== 2 && length !== 4 && length !== 8) return fail(`${length} bytes, expected 1, 2, 4 or 8`);
      let raw = 0n;
      for (const byte of slice) raw = (raw << 8n) | BigInt(byte);
      const number = type === 'unsigned' ? raw : BigInt.asIntN(length * 8, raw);
      const value = numberToValue(number, type);
      return typeof value === 'string' ? fail(value) : success(value);
    }
    case 'float': {
      const view = new DataView(slice.buffer, slice.byteOffset, slice.byteLength);
      if (length === 4) return success({ type, value: view.getFloat32(0) });
      if (length === 8) return success({ type, value: view.getFloat64(0) });
      return fail(`${length} bytes, expected 4 or 8`);
    }
    case 'boolean':
      if (length !== 1) return fail(`${length} bytes, expected 1`);
      if (slice[0] === 0) return success({ type, value: false });
      if (slice[0] === 1) return success({ type, value: true });
      return fail(`byte ${slice[0]}, expected 0 or 1`);
    case 'opaque':
      return success({ type, value: Uint8Array.from(slice) });
    case 'objlnk': {
      if (length !== 4) return fail(`${length} bytes, expected 4`);
      const view = new DataView(slice.buffer, slice.byteOffset, slice.byteLength);
      return success({ type, value: { objectId: view.getUint16(0), instanceId: view.getUint16(2) } });
    }
  }
}
