/**
 * How each rule type reads a value (the value being written, a literal operand, or another resource's
 * current value), so that both sides of a comparison are read the same way:
 * - Number: as the resource's own type (Integer and Unsigned exactly, as bigint; Float as a double);
 * - Date: as a Time (seconds since the epoch, or an ISO 8601 date-time with a zone);
 * - ObjectLink: as a path "/Object/Instance/Resource" (the guide's format; 1 to 4 levels) or an
 *   Objlnk "Object:Instance" (Core 1.1 Appendix C), which is the path "/Object/Instance";
 * - String and Regex: as the text itself.
 */
import type { LwM2mValueType } from '../../lwm2m/LwM2mValue.ts';
import { OBJLNK_ID_MAX } from '../../lwm2m/LwM2mValue.ts';
import { parseTypedValue } from '../../lwm2m/TypedValueText.ts';
import type { ValidationRuleType } from './ValidationRule.ts';

export type RuleValue =
  | { readonly kind: 'ordered'; readonly value: bigint | number }
  | { readonly kind: 'link'; readonly ids: readonly number[] }
  | { readonly kind: 'text'; readonly value: string };

export type RuleValueResult = { readonly ok: true; readonly value: RuleValue } | { readonly ok: false; readonly reason: string };

const PATH_LINK = /^(?:\/(?:0|[1-9][0-9]{0,4})){1,4}$/;

export function readRuleValue(ruleType: ValidationRuleType, resourceType: LwM2mValueType, text: string): RuleValueResult {
  switch (ruleType) {
    case 'Number': {
      if (resourceType !== 'integer' && resourceType !== 'unsigned' && resourceType !== 'float') {
        return { ok: false, reason: `Number rules need an integer, unsigned or float resource, not ${resourceType}` };
      }
      return readOrdered(text, resourceType);
    }
    case 'Date':
      return readOrdered(text, 'time');
    case 'ObjectLink':
      return readLink(text);
    case 'Regex':
    case 'String':
      return { ok: true, value: { kind: 'text', value: text } };
  }
}

function readOrdered(text: string, type: 'integer' | 'unsigned' | 'float' | 'time'): RuleValueResult {
  const parsed = parseTypedValue(text, type);
  if (!parsed.ok) return { ok: false, reason: parsed.error.message };
  const value = parsed.value;
  if (value.type === 'integer' || value.type === 'unsigned' || value.type === 'float' || value.type === 'time') {
    return { ok: true, value: { kind: 'ordered', value: value.value } };
  }
  return { ok: false, reason: `"${text}" is not a ${type}` };
}

function readLink(text: string): RuleValueResult {
  const objlnk = parseTypedValue(text, 'objlnk');
  if (objlnk.ok && objlnk.value.type === 'objlnk') {
    return { ok: true, value: { kind: 'link', ids: [objlnk.value.value.objectId, objlnk.value.value.instanceId] } };
  }
  if (PATH_LINK.test(text)) {
    const ids = text.slice(1).split('/').map(Number);
    if (ids.every((id) => id <= OBJLNK_ID_MAX)) return { ok: true, value: { kind: 'link', ids } };
  }
  return { ok: false, reason: `invalid object link "${text}": expected /Object/Instance/Resource (e.g. /3/0/15) or Object:Instance (e.g. 3:0)` };
}
