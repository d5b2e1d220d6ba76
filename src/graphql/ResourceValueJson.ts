/**
 * A resource value's canonical text (`formatTypedValue`) as the JSON a client computes with: numbers
 * where JSON numbers hold them exactly, booleans, and the text otherwise (a 64-bit integer beyond
 * 2^53, NaN and the infinities, opaque, links, strings).
 */
import type { JsonValue } from '../domain/Json.ts';

export function resourceValueJson(type: string, text: string): JsonValue {
  switch (type) {
    case 'integer':
    case 'unsigned':
    case 'time': {
      const number = Number(text);
      return Number.isSafeInteger(number) ? number : text;
    }
    case 'float': {
      const number = Number(text);
      return Number.isFinite(number) ? number : text;
    }
    case 'boolean':
      return text === 'true';
    default:
      return text;
  }
}
