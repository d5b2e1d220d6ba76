/**
 * A small CBOR writer (RFC 8949) for the CBOR content formats. cbor-x reads our CBOR, but its encoder
 * cannot follow our rules for numbers: it writes every bigint on 8 bytes and integral floats as
 * integers, and has no "float32 only when exact" mode. Here every head is the shortest (RFC 8949
 * section 4.2.1), integers of any 64-bit value keep their exact value, and a float takes 4 bytes when
 * it is exactly a 32-bit float (NaN and the infinities included), else 8.
 */
import { encodeUtf8 } from './ScalarConversion.ts';

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;

export class CborWriter {
  private readonly bytes: number[] = [];
  private readonly scratch = new DataView(new ArrayBuffer(8));

  integer(value: bigint | number): this {
    const integer = BigInt(value);
    return integer >= 0n ? this.head(MAJOR_UNSIGNED, integer) : this.head(MAJOR_NEGATIVE, -1n - integer);
  }

  float(value: number): this {
    if (Number.isNaN(value) || Math.fround(value) === value) {
      this.scratch.setFloat32(0, value);
      this.bytes.push(0xfa, ...new Uint8Array(this.scratch.buffer, 0, 4));
    } else {
      this.scratch.setFloat64(0, value);
      this.bytes.push(0xfb, ...new Uint8Array(this.scratch.buffer, 0, 8));
    }
    return this;
  }

  /** A time or other number that may be whole or fractional: an integer when it is whole. */
  number(value: number): this {
    return Number.isSafeInteger(value) && !Object.is(value, -0) ? this.integer(value) : this.float(value);
  }

  text(value: string): this {
    const encoded = encodeUtf8(value);
    this.head(MAJOR_TEXT, BigInt(encoded.length));
    for (const byte of encoded) this.bytes.push(byte);
    return this;
  }

  byteString(value: Uint8Array): this {
    this.head(MAJOR_BYTES, BigInt(value.length));
    for (const byte of value) this.bytes.push(byte);
    return this;
  }

  boolean(value: boolean): this {
    this.bytes.push(value ? 0xf5 : 0xf4);
    return this;
  }

  array(length: number): this {
    return this.head(MAJOR_ARRAY, BigInt(length));
  }

  map(pairs: number): this {
    return this.head(MAJOR_MAP, BigInt(pairs));
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private head(major: number, argument: bigint): this {
    const type = major << 5;
    if (argument < 24n) {
      this.bytes.push(type | Number(argument));
    } else if (argument <= 0xffn) {
      this.bytes.push(type | 24, Number(argument));
    } else if (argument <= 0xffffn) {
      this.bytes.push(type | 25, ...bigEndian(argument, 2));
    } else if (argument <= 0xffffffffn) {
      this.bytes.push(type | 26, ...bigEndian(argument, 4));
    } else {
      this.bytes.push(type | 27, ...bigEndian(argument, 8));
    }
    return this;
  }
}

function bigEndian(value: bigint, width: number): number[] {
  const out: number[] = [];
  for (let shift = BigInt((width - 1) * 8); shift >= 0n; shift -= 8n) out.push(Number((value >> shift) & 0xffn));
  return out;
}
