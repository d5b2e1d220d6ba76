/**
 * SenML JSON (content format 110), RFC 8428 with LwM2M Core 1.1 section 7.4.5: an array of records
 * with `bn`, `bt`, `n`, `t` and one of `v`, `vs`, `vb`, `vd` (base64url without padding, RFC 8428
 * section 5; any base64 is accepted) or `vlo`. Labels it does not know are ignored, except those
 * ending in "_", which RFC 8428 section 4.4 says must be understood; `bver` above 10 is refused.
 */
import type { CompositePath, LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, PathValue } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { isJsonObject, jsonDoubleValue, jsonNumberText, jsonNumberValue, jsonObjectText, parseExactJson, type ExactJsonValue } from './ExactJson.ts';
import { decodeBase64, decodeUtf8, encodeBase64Url, encodeUtf8 } from './ScalarConversion.ts';
import { decodeSenmlEntries, decodeSenmlNode, decodeSenmlPaths, encodeSenmlEntries, encodeSenmlNode, encodeSenmlPaths, type SenmlSerialisation } from './SenmlCodec.ts';
import { readSenmlRecords, senmlRecord, type SenmlDecodeOptions, type SenmlRecord } from './SenmlPack.ts';
import type { WireValue } from './WireValue.ts';

const FORMAT = 'SenML JSON';
/** RFC 8428 section 4.4: the version this decoder understands. */
const SENML_VERSION = 10;

const SERIALISATION: SenmlSerialisation = { format: FORMAT, writePack, readPack };

export function encodeSenmlJson(node: LwM2mNode, path: LwM2mPath): ContentResult<Uint8Array> {
  return encodeSenmlNode(SERIALISATION, node, path);
}

export function encodeSenmlJsonEntries(entries: readonly PathValue[]): ContentResult<Uint8Array> {
  return encodeSenmlEntries(SERIALISATION, entries);
}

export function encodeSenmlJsonPaths(paths: readonly CompositePath[]): ContentResult<Uint8Array> {
  return encodeSenmlPaths(SERIALISATION, paths);
}

export function decodeSenmlJson(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog, options: SenmlDecodeOptions = {}): ContentResult<LwM2mNode> {
  return decodeSenmlNode(SERIALISATION, bytes, path, catalog, options);
}

export function decodeSenmlJsonEntries(bytes: Uint8Array, catalog: ObjectModelCatalog, options: SenmlDecodeOptions = {}): ContentResult<PathValue[]> {
  return decodeSenmlEntries(SERIALISATION, bytes, catalog, options);
}

export function decodeSenmlJsonPaths(bytes: Uint8Array): ContentResult<LwM2mPath[]> {
  return decodeSenmlPaths(SERIALISATION, bytes);
}

function writePack(records: readonly SenmlRecord[]): ContentResult<Uint8Array> {
  const texts: string[] = [];
  for (const record of records) {
    const members: [string, string][] = [];
    if (record.baseName !== undefined) members.push(['bn', JSON.stringify(record.baseName)]);
    if (record.name !== undefined) members.push(['n', JSON.stringify(record.name)]);
    if (record.value !== undefined) {
      const value = valueMember(record.value);
      if (value === undefined) return failure(`${FORMAT} cannot carry the number ${String(record.value.value)}`);
      members.push(value);
    }
    if (record.time !== undefined) {
      const time = jsonNumberText(record.time);
      if (time === undefined) return failure(`${FORMAT} cannot carry the time ${record.time}`);
      members.push(['t', time]);
    }
    texts.push(jsonObjectText(members));
  }
  return success(encodeUtf8(`[${texts.join(',')}]`));
}

function valueMember(wire: WireValue): [string, string] | undefined {
  switch (wire.kind) {
    case 'number': {
      const text = jsonNumberText(wire.value);
      return text === undefined ? undefined : ['v', text];
    }
    case 'string':
      return ['vs', JSON.stringify(wire.value)];
    case 'boolean':
      return ['vb', String(wire.value)];
    case 'bytes':
      return ['vd', JSON.stringify(encodeBase64Url(wire.value))];
    case 'objlnk':
      return ['vlo', JSON.stringify(wire.value)];
  }
}

function readPack(bytes: Uint8Array): ContentResult<SenmlRecord[]> {
  const text = decodeUtf8(bytes);
  if (text === undefined) return failure(`${FORMAT} content is not valid UTF-8`, 0);
  const parsed = parseExactJson(text);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value)) return failure(`${FORMAT} content is not a JSON array`);
  return readSenmlRecords(parsed.value, readRecord, FORMAT);
}

function readRecord(raw: ExactJsonValue): SenmlRecord | string {
  if (!isJsonObject(raw)) return 'not a JSON object';
  const mustUnderstand = Object.keys(raw).find((key) => key.endsWith('_'));
  if (mustUnderstand !== undefined) return `label "${mustUnderstand}" must be understood and is not`;
  const version = optionalTime(raw['bver']);
  if (typeof version === 'string' || (version !== undefined && version > SENML_VERSION)) return `unsupported SenML version ${JSON.stringify(raw['bver'])}`;
  const baseName = optionalString(raw['bn']);
  const name = optionalString(raw['n']);
  if (baseName === null || name === null) return '"bn" and "n" must be strings';
  const baseTime = optionalTime(raw['bt']);
  const time = optionalTime(raw['t']);
  if (typeof baseTime === 'string') return `"bt" ${baseTime}`;
  if (typeof time === 'string') return `"t" ${time}`;
  const value = recordValue(raw);
  if (typeof value === 'string') return value;
  return senmlRecord({ baseName, baseTime, name, time, value });
}

const VALUE_LABELS = ['v', 'vs', 'vb', 'vd', 'vlo'] as const;

function recordValue(raw: { readonly [key: string]: ExactJsonValue }): WireValue | undefined | string {
  const present = VALUE_LABELS.filter((label) => raw[label] !== undefined);
  if (present.length > 1) return `several values (${present.join(', ')})`;
  const label = present[0];
  if (label === undefined) return undefined;
  const value = raw[label] as ExactJsonValue;
  switch (label) {
    case 'v': {
      const number = jsonNumberValue(value);
      return number === undefined ? '"v" is not a finite number' : { kind: 'number', value: number };
    }
    case 'vs':
      return typeof value === 'string' ? { kind: 'string', value } : '"vs" is not a string';
    case 'vb':
      return typeof value === 'boolean' ? { kind: 'boolean', value } : '"vb" is not a boolean';
    case 'vd': {
      const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
      return bytes === undefined ? '"vd" is not base64' : { kind: 'bytes', value: bytes };
    }
    case 'vlo':
      return typeof value === 'string' ? { kind: 'objlnk', value } : '"vlo" is not a string';
  }
}

function optionalString(raw: ExactJsonValue | undefined): string | undefined | null {
  if (raw === undefined) return undefined;
  return typeof raw === 'string' ? raw : null;
}

function optionalTime(raw: ExactJsonValue | undefined): number | undefined | string {
  if (raw === undefined) return undefined;
  return jsonDoubleValue(raw) ?? 'is not a finite number';
}
