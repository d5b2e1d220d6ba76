/**
 * LwM2M values inside events: JSON has no bigint and no bytes, so a value is stored as its type and
 * its canonical text (`formatTypedValue`), which reads back to the same value.
 */
import type { LwM2mValue, LwM2mValueType } from './LwM2mValue.ts';
import { formatTypedValue, parseTypedValue, type TypedValueResult } from './TypedValueText.ts';

export interface LwM2mValueJson {
  readonly type: LwM2mValueType;
  readonly text: string;
}

export function lwm2mValueToJson(value: LwM2mValue): LwM2mValueJson {
  return { type: value.type, text: formatTypedValue(value) };
}

export function lwm2mValueFromJson(json: LwM2mValueJson): TypedValueResult {
  return parseTypedValue(json.text, json.type);
}
