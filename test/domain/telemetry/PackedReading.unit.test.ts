import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackedField, PackedFieldType } from '../../../src/domain/protocols/CustomActionRegistry.ts';
import { PACKED_FIELD_SIZES } from '../../../src/domain/protocols/CustomActionRegistry.ts';
import { decodePackedReading, packedReadingLength } from '../../../src/domain/telemetry/PackedReading.ts';

function field(type: PackedFieldType, scale = 1): PackedField {
  return { type, measurementType: 'm', series: type, unit: '', scale };
}

/** An independent encoder: Node's Buffer writers, big-endian. */
function encode(fields: readonly PackedField[], values: readonly number[]): Uint8Array {
  const buffer = Buffer.alloc(packedReadingLength(fields));
  let offset = 0;
  fields.forEach((f, i) => {
    const value = values[i] ?? 0;
    switch (f.type) {
      case 'int8': buffer.writeInt8(value, offset); break;
      case 'uint8': buffer.writeUInt8(value, offset); break;
      case 'int16': buffer.writeInt16BE(value, offset); break;
      case 'uint16': buffer.writeUInt16BE(value, offset); break;
      case 'int32': buffer.writeInt32BE(value, offset); break;
      case 'uint32': buffer.writeUInt32BE(value, offset); break;
      case 'float32': buffer.writeFloatBE(value, offset); break;
      case 'float64': buffer.writeDoubleBE(value, offset); break;
    }
    offset += PACKED_FIELD_SIZES[f.type];
  });
  return new Uint8Array(buffer);
}

const fieldValue: fc.Arbitrary<[PackedField, number]> = fc.oneof(
  fc.integer({ min: -128, max: 127 }).map((v): [PackedField, number] => [field('int8'), v]),
  fc.integer({ min: 0, max: 255 }).map((v): [PackedField, number] => [field('uint8'), v]),
  fc.integer({ min: -32768, max: 32767 }).map((v): [PackedField, number] => [field('int16'), v]),
  fc.integer({ min: 0, max: 65535 }).map((v): [PackedField, number] => [field('uint16'), v]),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v): [PackedField, number] => [field('int32'), v]),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((v): [PackedField, number] => [field('uint32'), v]),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((v): [PackedField, number] => [field('float32'), v]),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v): [PackedField, number] => [field('float64'), v]),
);

describe('PackedReading', () => {
  it('decodes a big-endian int16 temperature in tenths and a float32 humidity', () => {
    const bytes = Uint8Array.of(0x00, 0xd7, 0x42, 0x48, 0x00, 0x00); // 215, 50.0
    expect(decodePackedReading(bytes, [field('int16', 0.1), field('float32')])).toEqual({ ok: true, values: [21.5, 50] });
  });

  it('reads negative two-complement numbers', () => {
    expect(decodePackedReading(Uint8Array.of(0xff, 0x38), [field('int16')])).toEqual({ ok: true, values: [-200] });
  });

  it('refuses a value of the wrong length, saying where it ends', () => {
    const result = decodePackedReading(Uint8Array.of(1, 2, 3), [field('int16'), field('int16')]);
    expect(result).toEqual({ ok: false, error: { message: 'a packed reading of this layout has 4 bytes, the value has 3', offset: 3 } });
  });

  it('refuses a NaN float, naming its offset', () => {
    const result = decodePackedReading(Uint8Array.of(0, 0x7f, 0xc0, 0, 0), [field('uint8'), field('float32')]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.offset).toBe(1);
  });

  it('round-trips any layout of numbers', () => {
    fc.assert(
      fc.property(fc.array(fieldValue, { minLength: 1, maxLength: 12 }), (pairs) => {
        const fields = pairs.map(([f]) => f);
        const values = pairs.map(([, v]) => v);
        const decoded = decodePackedReading(encode(fields, values), fields);
        const expected = pairs.map(([f, v]) => (f.type === 'float32' ? Math.fround(v) : v));
        expect(decoded).toEqual({ ok: true, values: expected });
      }),
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fieldValue, { minLength: 1, maxLength: 8 }), (bytes, pairs) => {
        const result = decodePackedReading(bytes, pairs.map(([f]) => f));
        if (!result.ok) expect(result.error.offset).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
