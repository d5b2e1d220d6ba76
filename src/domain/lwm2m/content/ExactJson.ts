/**
 * JSON with exact numbers, for the JSON content formats: JSON.parse rounds 64-bit integers (LwM2M
 * integers and unsigned integers, Core 1.1 Appendix C) to the nearest double. When the text holds a
 * run of 16 digits or more (so a number that a double may not hold exactly), each number keeps its
 * source text (JSON.parse's reviver receives it, ES2025 "JSON.parse source text access"); otherwise
 * every number is exact as a double and the plain, several times faster, JSON.parse is used.
 */
import { failure, success, type ContentResult } from './ContentResult.ts';
import type { WireNumber } from './ScalarConversion.ts';

/** A JSON number as written in the source. */
export class JsonNumberText {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

export type ExactJsonValue = null | boolean | string | number | JsonNumberText | ExactJsonValue[] | { readonly [key: string]: ExactJsonValue };

const POSITION = /position (\d+)/;
const LONG_DIGIT_RUN = /[0-9]{16}/;

export function parseExactJson(text: string): ContentResult<ExactJsonValue> {
  try {
    if (!LONG_DIGIT_RUN.test(text)) return success(JSON.parse(text) as ExactJsonValue);
    const reviver = (_key: string, value: unknown, context?: { readonly source?: string }): unknown =>
      typeof value === 'number' ? new JsonNumberText(context?.source ?? String(value)) : value;
    return success(JSON.parse(text, reviver) as ExactJsonValue);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = POSITION.exec(message);
    return failure(`invalid JSON: ${message}`, position === null ? undefined : Number(position[1]));
  }
}

const INTEGER_LITERAL = /^-?[0-9]+$/;

/**
 * The number a JSON value stands for, or undefined when it is not a number: integers exactly as
 * bigint (-0 stays the float -0), others as a double; a literal beyond the double range is refused
 * rather than read as an infinity.
 */
export function jsonNumberValue(raw: ExactJsonValue | undefined): WireNumber | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && !Object.is(raw, -0) ? BigInt(raw) : Number.isFinite(raw) ? raw : undefined;
  if (!(raw instanceof JsonNumberText)) return undefined;
  if (INTEGER_LITERAL.test(raw.text) && raw.text !== '-0') return BigInt(raw.text);
  const value = Number(raw.text);
  return Number.isFinite(value) ? value : undefined;
}

/** A JSON number as a double (times, which may be fractional), or undefined when it is not a finite number. */
export function jsonDoubleValue(raw: ExactJsonValue | undefined): number | undefined {
  const value = typeof raw === 'number' ? raw : raw instanceof JsonNumberText ? Number(raw.text) : undefined;
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

export function isJsonObject(value: ExactJsonValue): value is { readonly [key: string]: ExactJsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonNumberText);
}

/** The JSON text of a number, exact for bigints; undefined for NaN and the infinities, which JSON lacks. */
export function jsonNumberText(value: WireNumber): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) return undefined;
  return Object.is(value, -0) ? '-0' : String(value);
}

/** Writes a JSON object from already-serialised member values, in the given order. */
export function jsonObjectText(members: ReadonlyArray<readonly [string, string]>): string {
  return `{${members.map(([key, text]) => `${JSON.stringify(key)}:${text}`).join(',')}}`;
}
