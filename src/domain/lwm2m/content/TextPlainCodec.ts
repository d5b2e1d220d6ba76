/**
 * text/plain (content format 0) for one resource value: LwM2M Core 1.1 section 7.4.1 and Transport
 * 1.1 section 7.3.1. Numbers are decimal ASCII, booleans "0"/"1", time is seconds since the epoch,
 * opaque is base64 and objlnk is "objectId:instanceId".
 */
import type { LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, LwM2mValue, LwM2mValueType } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { valueTypeAt } from './ModelLookup.ts';
import { decodeBase64, decodeUtf8, encodeBase64, encodeUtf8, formatObjlnkText, numberToValue, parseObjlnkText } from './ScalarConversion.ts';
import { checkSingleValuePath, singleValueNode, singleValueOf } from './SingleValueContent.ts';

const FORMAT = 'text/plain';
const INTEGER_TEXT = /^[+-]?[0-9]+$/;
const DECIMAL_TEXT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

export function encodeTextPlain(node: LwM2mNode): ContentResult<Uint8Array> {
  const value = singleValueOf(node, FORMAT);
  if (!value.ok) return value;
  const text = valueToText(value.value);
  return typeof text === 'string' ? success(encodeUtf8(text)) : text;
}

function valueToText(value: LwM2mValue): string | ContentResult<never> {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      return value.value;
    case 'integer':
    case 'unsigned':
      return value.value.toString();
    case 'float':
      // The text format has no spelling for NaN or the infinities; -0 keeps its sign (String(-0) is "0").
      if (!Number.isFinite(value.value)) return failure(`${FORMAT} cannot carry the float ${value.value}`);
      return Object.is(value.value, -0) ? '-0' : String(value.value);
    case 'time':
      return String(value.value);
    case 'boolean':
      return value.value ? '1' : '0';
    case 'opaque':
      return encodeBase64(value.value);
    case 'objlnk':
      return formatObjlnkText(value.value);
  }
}

/** Decodes the value of the resource (instance) at `path`; an unknown resource reads as a string. */
export function decodeTextPlain(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> {
  const checked = checkSingleValuePath(path, catalog, FORMAT);
  if (!checked.ok) return checked;
  const type = valueTypeAt(catalog, path);
  if (!type.ok) return type;
  const text = decodeUtf8(bytes);
  if (text === undefined) return failure(`${FORMAT} content is not valid UTF-8`, 0);
  const value = textToValue(text, type.value ?? 'string');
  if (typeof value === 'string') return failure(`${FORMAT} content ${quote(text)}: ${value}`, 0);
  return success(singleValueNode(path, value));
}

function textToValue(text: string, type: LwM2mValueType): LwM2mValue | string {
  switch (type) {
    case 'string':
    case 'corelnk':
      return { type, value: text };
    case 'integer':
    case 'unsigned':
    case 'time':
      return INTEGER_TEXT.test(text) ? numberToValue(BigInt(text), type) : `expected a decimal integer for a ${type} resource`;
    case 'float': {
      if (!DECIMAL_TEXT.test(text)) return 'expected a decimal number for a float resource';
      const value = Number(text);
      return Number.isFinite(value) ? { type, value } : 'outside the 64-bit float range';
    }
    case 'boolean':
      if (text === '1') return { type, value: true };
      if (text === '0') return { type, value: false };
      return 'expected 0 or 1 for a boolean resource';
    case 'opaque': {
      const bytes = decodeBase64(text);
      return bytes === undefined ? 'expected base64 for an opaque resource' : { type, value: bytes };
    }
    case 'objlnk': {
      const link = parseObjlnkText(text);
      return link === undefined ? 'expected objectId:instanceId for an objlnk resource' : { type, value: link };
    }
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}
