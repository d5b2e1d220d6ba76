/**
 * Scalars as the formats carry them on the wire, converted to and from typed values: numbers
 * (JSON and CBOR carry one numeric kind for integer, unsigned, float and time, Core 1.1 section
 * 7.4.5), objlnk text ("3:0", Core 1.1 Appendix C), base64 (opaque in text/plain and JSON) and UTF-8.
 */
import { INT64_MAX, INT64_MIN, OBJLNK_ID_MAX, UINT64_MAX, type LwM2mValue, type LwM2mValueType, type ObjectLink } from '../LwM2mValue.ts';

/** A number as a decoder found it: `bigint` when it was an exact integer too large for `number`, or always (JSON). */
export type WireNumber = number | bigint;

/** Converts a wire number to a value of a numeric type; the error text says why it does not fit. */
export function numberToValue(raw: WireNumber, type: LwM2mValueType): LwM2mValue | string {
  switch (type) {
    case 'float':
      return { type, value: typeof raw === 'bigint' ? Number(raw) : raw };
    case 'integer': {
      const integer = toBigInt(raw);
      if (integer === undefined) return `${String(raw)} is not an integer`;
      if (integer < INT64_MIN || integer > INT64_MAX) return `${String(raw)} is outside the signed 64-bit range`;
      return { type, value: integer };
    }
    case 'unsigned': {
      const integer = toBigInt(raw);
      if (integer === undefined) return `${String(raw)} is not an integer`;
      if (integer < 0n || integer > UINT64_MAX) return `${String(raw)} is outside the unsigned 64-bit range`;
      return { type, value: integer };
    }
    case 'time': {
      const integer = toBigInt(raw);
      if (integer === undefined) return `${String(raw)} is not a whole number of seconds`;
      if (integer < BigInt(Number.MIN_SAFE_INTEGER) || integer > BigInt(Number.MAX_SAFE_INTEGER)) {
        return `${String(raw)} is outside the range of times this service handles`;
      }
      return { type, value: Number(integer) };
    }
    case 'string':
    case 'boolean':
    case 'opaque':
    case 'objlnk':
    case 'corelnk':
      return `a number is not a ${type} value`;
  }
}

function toBigInt(raw: WireNumber): bigint | undefined {
  if (typeof raw === 'bigint') return raw;
  return Number.isInteger(raw) ? BigInt(raw) : undefined;
}

const OBJLNK_TEXT = /^([0-9]{1,5}):([0-9]{1,5})$/;

/** "3:0" -> {3, 0}; undefined when the text is not an objlnk. */
export function parseObjlnkText(text: string): ObjectLink | undefined {
  const match = OBJLNK_TEXT.exec(text);
  if (match === null) return undefined;
  const objectId = Number(match[1]);
  const instanceId = Number(match[2]);
  if (objectId > OBJLNK_ID_MAX || instanceId > OBJLNK_ID_MAX) return undefined;
  return { objectId, instanceId };
}

export function formatObjlnkText(link: ObjectLink): string {
  return `${link.objectId}:${link.instanceId}`;
}

// Base64 with either alphabet (RFC 4648 sections 4 and 5), padding optional: devices use all four.
const BASE64_ANY = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Strict base64 decoding (Buffer.from silently skips bad characters, so the text is checked first). */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64_ANY.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  return Uint8Array.from(Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Base64url without padding: SenML JSON's "vd" (RFC 8428 section 5). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

/** Decodes UTF-8, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return UTF8_ENCODER.encode(text);
}
