/**
 * Decodes a packed binary reading: the payload of an Opaque resource that a constrained device fills
 * with several numbers at once, instead of one resource per number. The format is the plain
 * concatenation of the declared fields, in order, each in network byte order (big-endian) with its
 * fixed size: int8/uint8 1 byte, int16/uint16 2, int32/uint32 4 (two's complement for the signed
 * ones), float32 4 and float64 8 (IEEE 754 binary32/binary64). No header, no padding: the payload's
 * length must be exactly the sum of the fields' sizes. Each number is multiplied by its field's scale.
 *
 * The bytes come from a device: the decoder never throws, it says what is wrong and at which offset.
 */
import type { PackedField } from '../protocols/CustomActionRegistry.ts';
import { PACKED_FIELD_SIZES } from '../protocols/CustomActionRegistry.ts';

export type PackedReadingResult =
  | { readonly ok: true; readonly values: readonly number[] }
  | { readonly ok: false; readonly error: { readonly message: string; readonly offset: number } };

export function packedReadingLength(fields: readonly PackedField[]): number {
  return fields.reduce((total, field) => total + PACKED_FIELD_SIZES[field.type], 0);
}

export function decodePackedReading(bytes: Uint8Array, fields: readonly PackedField[]): PackedReadingResult {
  const expected = packedReadingLength(fields);
  if (bytes.length !== expected) {
    const offset = Math.min(bytes.length, expected);
    return {
      ok: false,
      error: { message: `a packed reading of this layout has ${expected} bytes, the value has ${bytes.length}`, offset },
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: number[] = [];
  let offset = 0;
  for (const field of fields) {
    const raw = readField(view, offset, field.type);
    if (!Number.isFinite(raw)) {
      return { ok: false, error: { message: `the ${field.type} at byte ${offset} (${field.series}) is not a finite number`, offset } };
    }
    values.push(raw * field.scale);
    offset += PACKED_FIELD_SIZES[field.type];
  }
  return { ok: true, values };
}

function readField(view: DataView, offset: number, type: PackedField['type']): number {
  switch (type) {
    case 'int8':
      return view.getInt8(offset);
    case 'uint8':
      return view.getUint8(offset);
    case 'int16':
      return view.getInt16(offset, false);
    case 'uint16':
      return view.getUint16(offset, false);
    case 'int32':
      return view.getInt32(offset, false);
    case 'uint32':
      return view.getUint32(offset, false);
    case 'float32':
      return view.getFloat32(offset, false);
    case 'float64':
      return view.getFloat64(offset, false);
  }
}
