/**
 * LwM2M values as text typed by people: the shell's `write /3/0/13 1700000000` and GraphQL's value
 * arguments. `parseTypedValue` accepts what a person writes; `formatTypedValue` writes the canonical
 * form, which `parseTypedValue` reads back to the same value.
 *
 * This is not the text/plain content format (that one lives in `content/TextPlainCodec.ts`, with the
 * spec's rules for the wire).
 */
import { DomainError } from '../DomainError.ts';
import {
  INT64_MAX,
  INT64_MIN,
  OBJLNK_ID_MAX,
  UINT64_MAX,
  type LwM2mValue,
  type LwM2mValueType,
} from './LwM2mValue.ts';

export class InvalidValueError extends DomainError {
  readonly type: LwM2mValueType;

  constructor(type: LwM2mValueType, text: string, reason: string) {
    super('BAD_USER_INPUT', `invalid ${type} value "${shorten(text)}": ${reason}`, { type });
    this.type = type;
  }
}

export type TypedValueResult = { readonly ok: true; readonly value: LwM2mValue } | { readonly ok: false; readonly error: InvalidValueError };

const INTEGER = /^[+-]?[0-9]+$/;
const UNSIGNED = /^\+?[0-9]+$/;
// A decimal number as JSON and most people write it: no hex, no "Infinity", no "NaN".
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);
const HEX = /^0x([0-9a-fA-F]{2})*$/;
const BASE64 = /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Objlnk as Core 1.1 Appendix C writes it ("3:0"), or as the shell guide does ("/3/0").
const OBJLNK = /^(?:([0-9]{1,5}):([0-9]{1,5})|\/([0-9]{1,5})\/([0-9]{1,5}))$/;
// ISO 8601 date-time with an explicit zone, e.g. 2026-11-25T06:00:00Z or ...+01:00.
const ISO_DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/**
 * Parses text as a value of `type`:
 * - integer: decimal, signed 64-bit; unsigned: decimal, 0..2^64-1;
 * - float: a decimal number (`1.5`, `-2e3`), or `NaN`, `Infinity`, `-Infinity`;
 * - boolean: `true`/`false` or `1`/`0` (text/plain's spelling, Transport 1.1 section 7.3.1);
 * - opaque: base64 (as text/plain carries opaque, Core 1.1 section 7.4.1) or hex prefixed with `0x`;
 * - time: whole seconds since the epoch, or an ISO 8601 date-time with a zone;
 * - objlnk: `3:0` or `/3/0`, each id 0..65535;
 * - string and corelnk: the text as it is.
 */
export function parseTypedValue(text: string, type: LwM2mValueType): TypedValueResult {
  const fail = (reason: string): TypedValueResult => ({ ok: false, error: new InvalidValueError(type, text, reason) });
  switch (type) {
    case 'string':
    case 'corelnk':
      return { ok: true, value: { type, value: text } };
    case 'integer': {
      if (!INTEGER.test(text)) return fail('expected a decimal integer');
      const value = BigInt(text);
      if (value < INT64_MIN || value > INT64_MAX) return fail('outside the signed 64-bit range');
      return { ok: true, value: { type, value } };
    }
    case 'unsigned': {
      if (!UNSIGNED.test(text)) return fail('expected a decimal integer of 0 or more');
      const value = BigInt(text);
      if (value > UINT64_MAX) return fail('above 2^64-1');
      return { ok: true, value: { type, value } };
    }
    case 'float': {
      // NaN and the infinities are IEEE 754 values a device may report; they read back as written.
      if (NON_FINITE.has(text)) return { ok: true, value: { type, value: Number(text) } };
      if (!DECIMAL.test(text)) return fail('expected a decimal number');
      const value = Number(text);
      if (!Number.isFinite(value)) return fail('outside the 64-bit float range');
      return { ok: true, value: { type, value } };
    }
    case 'boolean':
      if (text === 'true' || text === '1') return { ok: true, value: { type, value: true } };
      if (text === 'false' || text === '0') return { ok: true, value: { type, value: false } };
      return fail('expected true, false, 1 or 0');
    case 'opaque':
      if (HEX.test(text)) return { ok: true, value: { type, value: Uint8Array.from(Buffer.from(text.slice(2), 'hex')) } };
      if (BASE64.test(text)) return { ok: true, value: { type, value: Uint8Array.from(Buffer.from(text, 'base64')) } };
      return fail('expected base64 or hex prefixed with 0x');
    case 'time': {
      if (INTEGER.test(text)) {
        const value = Number(text);
        if (!Number.isSafeInteger(value)) return fail('outside the range of seconds this service handles');
        return { ok: true, value: { type, value } };
      }
      if (ISO_DATE_TIME.test(text)) {
        const millis = Date.parse(text);
        if (Number.isNaN(millis)) return fail('not a valid date-time');
        return { ok: true, value: { type, value: Math.floor(millis / 1000) } };
      }
      return fail('expected seconds since the epoch or an ISO 8601 date-time with a zone');
    }
    case 'objlnk': {
      const match = OBJLNK.exec(text);
      if (match === null) return fail('expected objectId:instanceId, e.g. 3:0');
      const objectId = Number(match[1] ?? match[3]);
      const instanceId = Number(match[2] ?? match[4]);
      if (objectId > OBJLNK_ID_MAX || instanceId > OBJLNK_ID_MAX) return fail(`ids go from 0 to ${OBJLNK_ID_MAX}`);
      return { ok: true, value: { type, value: { objectId, instanceId } } };
    }
  }
}

/**
 * The canonical text of a value: decimal integers and seconds, the shortest decimal that reads back to
 * the same float, `true`/`false`, base64 for opaque, `3:0` for objlnk.
 */
export function formatTypedValue(value: LwM2mValue): string {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      return value.value;
    case 'integer':
    case 'unsigned':
      return value.value.toString();
    case 'float':
      return formatFloat(value.value);
    case 'boolean':
      return value.value ? 'true' : 'false';
    case 'opaque':
      return Buffer.from(value.value.buffer, value.value.byteOffset, value.value.byteLength).toString('base64');
    case 'time':
      return String(value.value);
    case 'objlnk':
      return `${value.value.objectId}:${value.value.instanceId}`;
  }
}

/** JavaScript's shortest round-trip decimal, except that "-0" keeps its sign (String(-0) is "0"). */
function formatFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function shorten(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
