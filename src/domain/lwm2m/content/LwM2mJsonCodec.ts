/**
 * The OMA LwM2M JSON format (content formats 11543 and the pre-registration 1543), LwM2M Core 1.0
 * section 6.4.4 (Core 1.1 keeps it for compatibility): `{"bn": base name, "bt": base time, "e": [{"n":
 * name, "v" | "sv" | "bv" | "ov": value, "t": time}]}`. Numbers are `v`; strings, core links and opaque
 * values (base64) are `sv`; booleans `bv`; object links `ov` ("3:0").
 *
 * Times are `bt + t` in seconds since the epoch, as the spec's own example (bt 25462634, t -5) and
 * Leshan read them: this format predates RFC 8428's "small times are relative to now".
 */
import { formatPath, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, PathValue } from '../LwM2mValue.ts';
import { formatTypedValue } from '../TypedValueText.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { nameToPath, relativeNames } from './EntryNames.ts';
import { isJsonObject, jsonDoubleValue, jsonNumberText, jsonNumberValue, jsonObjectText, parseExactJson, type ExactJsonValue } from './ExactJson.ts';
import { entriesToNode, nodeToEntries } from './NodeEntries.ts';
import { decodeUtf8, encodeUtf8 } from './ScalarConversion.ts';
import { typeWireValue, valueToWire, type WireValue } from './WireValue.ts';

const FORMAT = 'LwM2M JSON';
const VALUE_KEYS = ['v', 'sv', 'bv', 'ov'] as const;

export function encodeLwM2mJson(node: LwM2mNode, path: LwM2mPath): ContentResult<Uint8Array> {
  const entries = nodeToEntries(node, path);
  const { baseName, names } = relativeNames(path, entries);
  return encodeDocument(baseName, entries, names);
}

/** Entries with their full paths and times (historical notifications): no base name, absolute `t`. */
export function encodeLwM2mJsonEntries(entries: readonly PathValue[]): ContentResult<Uint8Array> {
  return encodeDocument(undefined, entries, entries.map((entry) => formatPath(entry.path)));
}

function encodeDocument(baseName: string | undefined, entries: readonly PathValue[], names: readonly (string | undefined)[]): ContentResult<Uint8Array> {
  const records: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const members: [string, string][] = [];
    const name = names[index];
    if (name !== undefined) members.push(['n', JSON.stringify(name)]);
    const value = wireToJson(valueToWire(entry.value, 'base64'));
    if (value === undefined) return failure(`${FORMAT} cannot carry the value of ${formatPath(entry.path)} (a ${entry.value.type} of ${formatTypedValue(entry.value)})`);
    members.push(value);
    if (entry.time !== undefined) {
      const time = jsonNumberText(entry.time);
      if (time === undefined) return failure(`${FORMAT} cannot carry the time ${entry.time}`);
      members.push(['t', time]);
    }
    records.push(jsonObjectText(members));
  }
  const root: [string, string][] = [];
  if (baseName !== undefined) root.push(['bn', JSON.stringify(baseName)]);
  root.push(['e', `[${records.join(',')}]`]);
  return success(encodeUtf8(jsonObjectText(root)));
}

function wireToJson(wire: WireValue): [string, string] | undefined {
  switch (wire.kind) {
    case 'number': {
      const text = jsonNumberText(wire.value);
      return text === undefined ? undefined : ['v', text];
    }
    case 'string':
      return ['sv', JSON.stringify(wire.value)];
    case 'boolean':
      return ['bv', String(wire.value)];
    case 'objlnk':
      return ['ov', JSON.stringify(wire.value)];
    case 'bytes':
      return undefined;
  }
}

export function decodeLwM2mJson(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> {
  const entries = decodeLwM2mJsonEntries(bytes, catalog);
  if (!entries.ok) return entries;
  return entriesToNode(entries.value, path, catalog);
}

export function decodeLwM2mJsonEntries(bytes: Uint8Array, catalog: ObjectModelCatalog): ContentResult<PathValue[]> {
  const text = decodeUtf8(bytes);
  if (text === undefined) return failure(`${FORMAT} content is not valid UTF-8`, 0);
  const parsed = parseExactJson(text);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (!isJsonObject(root)) return failure(`${FORMAT} content is not a JSON object`);
  const baseName = root['bn'] ?? '';
  if (typeof baseName !== 'string') return failure(`${FORMAT} "bn" is not a string`);
  const baseTime = optionalNumber(root['bt']);
  if (typeof baseTime === 'string') return failure(`${FORMAT} "bt" ${baseTime}`);
  const records = root['e'];
  if (!Array.isArray(records)) return failure(`${FORMAT} content has no "e" array`);

  const entries: PathValue[] = [];
  for (const [index, record] of records.entries()) {
    const where = `${FORMAT} e[${index}]`;
    if (!isJsonObject(record)) return failure(`${where} is not an object`);
    const name = record['n'] ?? '';
    if (typeof name !== 'string') return failure(`${where} "n" is not a string`);
    const path = nameToPath(baseName + name);
    if (typeof path === 'string') return failure(`${where}: ${path}`);
    const wire = recordValue(record);
    if (typeof wire === 'string') return failure(`${where}: ${wire}`);
    const value = typeWireValue(path, wire, catalog);
    if (!value.ok) return failure(`${where}: ${value.error.message}`);
    const time = optionalNumber(record['t']);
    if (typeof time === 'string') return failure(`${where} "t" ${time}`);
    const absolute = baseTime === undefined && time === undefined ? undefined : (baseTime ?? 0) + (time ?? 0);
    if (absolute !== undefined && !Number.isFinite(absolute)) return failure(`${where}: time out of range`);
    entries.push(absolute === undefined ? { path, value: value.value } : { path, value: value.value, time: absolute });
  }
  return success(entries);
}

function recordValue(record: { readonly [key: string]: ExactJsonValue }): WireValue | string {
  const present = VALUE_KEYS.filter((key) => record[key] !== undefined);
  if (present.length !== 1) return `expected exactly one of v, sv, bv, ov; found ${present.length}`;
  const key = present[0] as (typeof VALUE_KEYS)[number];
  const raw = record[key] as ExactJsonValue;
  switch (key) {
    case 'v': {
      const number = jsonNumberValue(raw);
      return number === undefined ? '"v" is not a finite number' : { kind: 'number', value: number };
    }
    case 'sv':
      return typeof raw === 'string' ? { kind: 'string', value: raw } : '"sv" is not a string';
    case 'bv':
      return typeof raw === 'boolean' ? { kind: 'boolean', value: raw } : '"bv" is not a boolean';
    case 'ov':
      return typeof raw === 'string' ? { kind: 'objlnk', value: raw } : '"ov" is not a string';
  }
}

/** A time field: seconds as a double (times may be fractional); undefined when absent. */
function optionalNumber(raw: ExactJsonValue | undefined): number | undefined | string {
  if (raw === undefined) return undefined;
  return jsonDoubleValue(raw) ?? 'is not a finite number';
}
