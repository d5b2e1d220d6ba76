/**
 * The number a measurement records for a value: integers, floats and times as they are, booleans as 1
 * and 0, and a string holding a decimal number (LwM2M 1.0 object 6 writes coordinates as strings).
 * Anything else has no number. Integers beyond 2^53 lose their last digits, as any double-valued
 * measurement store would.
 */
import type { LwM2mValue } from '../lwm2m/LwM2mValue.ts';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function measurementNumber(value: LwM2mValue): number | undefined {
  switch (value.type) {
    case 'integer':
    case 'unsigned':
      return Number(value.value);
    case 'float':
    case 'time':
      return Number.isFinite(value.value) ? value.value : undefined;
    case 'boolean':
      return value.value ? 1 : 0;
    case 'string': {
      const text = value.value.trim();
      if (!DECIMAL.test(text)) return undefined;
      const number = Number(text);
      return Number.isFinite(number) ? number : undefined;
    }
    case 'opaque':
    case 'objlnk':
    case 'corelnk':
      return undefined;
  }
}
