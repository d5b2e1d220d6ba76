/**
 * Values as the self-describing formats mark them (SenML `v`/`vs`/`vb`/`vd`/`vlo`, RFC 8428 section
 * 4.2 and Core 1.1 section 7.4.5; LwM2M JSON `v`/`sv`/`bv`/`ov`, Core 1.0 section 6.4.4; LwM2M CBOR's
 * CBOR major types, Core 1.2 section 7.4.7), and their typing by the object model.
 *
 * The wire kind is coarser than the LwM2M type (one numeric kind for integer, unsigned, float and
 * time), so the model decides; a resource the model does not know is typed by the wire kind alone: an
 * integral number is an integer (or unsigned above the signed range), another number a float.
 */
import { formatPath, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import { INT64_MAX, type LwM2mValue, type LwM2mValueType } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { valueTypeAt } from './ModelLookup.ts';
import { decodeBase64, encodeBase64, formatObjlnkText, numberToValue, parseObjlnkText, type WireNumber } from './ScalarConversion.ts';

export type WireValue =
  | { readonly kind: 'number'; readonly value: WireNumber }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly kind: 'objlnk'; readonly value: string };

/**
 * How a format writes opaque values: SenML and CBOR as bytes (`vd`, byte string), LwM2M JSON as
 * base64 text in `sv` (Core 1.0 section 6.4.4).
 */
export type OpaqueWire = 'bytes' | 'base64';

export function valueToWire(value: LwM2mValue, opaque: OpaqueWire): WireValue {
  switch (value.type) {
    case 'integer':
    case 'unsigned':
    case 'float':
      return { kind: 'number', value: value.value };
    case 'time':
      // Whole seconds: as an integer, so that CBOR writes an integer and not a float.
      return { kind: 'number', value: BigInt(value.value) };
    case 'string':
    case 'corelnk':
      return { kind: 'string', value: value.value };
    case 'boolean':
      return { kind: 'boolean', value: value.value };
    case 'opaque':
      return opaque === 'bytes' ? { kind: 'bytes', value: value.value } : { kind: 'string', value: encodeBase64(value.value) };
    case 'objlnk':
      return { kind: 'objlnk', value: formatObjlnkText(value.value) };
  }
}

/** Types the wire value found at `path` (a resource or resource-instance path) by the model. */
export function typeWireValue(path: LwM2mPath, wire: WireValue, catalog: ObjectModelCatalog): ContentResult<LwM2mValue> {
  const modelType = valueTypeAt(catalog, path);
  if (!modelType.ok) return modelType;
  const typed = typeByModel(wire, modelType.value ?? untypedKind(wire));
  return typeof typed === 'string' ? failure(`${formatPath(path)}: ${typed}`) : success(typed);
}

function untypedKind(wire: WireValue): LwM2mValueType {
  switch (wire.kind) {
    case 'number':
      if (typeof wire.value === 'bigint') return wire.value > INT64_MAX ? 'unsigned' : 'integer';
      return Number.isSafeInteger(wire.value) ? 'integer' : 'float';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'bytes':
      return 'opaque';
    case 'objlnk':
      return 'objlnk';
  }
}

function typeByModel(wire: WireValue, type: LwM2mValueType): LwM2mValue | string {
  switch (wire.kind) {
    case 'number':
      return numberToValue(wire.value, type);
    case 'string':
      if (type === 'string' || type === 'corelnk') return { type, value: wire.value };
      if (type === 'opaque') {
        const bytes = decodeBase64(wire.value);
        return bytes === undefined ? 'an opaque value as text must be base64' : { type, value: bytes };
      }
      if (type === 'objlnk') return objlnk(wire.value);
      return `a string is not a ${type} value`;
    case 'boolean':
      return type === 'boolean' ? { type, value: wire.value } : `a boolean is not a ${type} value`;
    case 'bytes':
      return type === 'opaque' ? { type, value: wire.value } : `bytes are not a ${type} value`;
    case 'objlnk':
      return type === 'objlnk' ? objlnk(wire.value) : `an object link is not a ${type} value`;
  }
}

function objlnk(text: string): LwM2mValue | string {
  const link = parseObjlnkText(text);
  return link === undefined ? `"${text.slice(0, 20)}" is not an object link (objectId:instanceId)` : { type: 'objlnk', value: link };
}
