/**
 * SenML CBOR (content format 112), RFC 8428 section 6 with LwM2M Core 1.1 section 7.4.6: the SenML
 * records as CBOR maps with integer labels (bn -2, bt -3, n 0, v 2, vs 3, vb 4, t 6, vd 8; bver -1)
 * and the LwM2M object link under the text label "vlo". `vd` is a byte string. Unknown labels are
 * ignored, except text labels ending in "_" (RFC 8428 section 4.4).
 */
import type { CompositePath, LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, PathValue } from '../LwM2mValue.ts';
import { CborWriter } from './CborWriter.ts';
import { readCbor } from './CborReader.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { decodeSenmlEntries, decodeSenmlNode, decodeSenmlPaths, encodeSenmlEntries, encodeSenmlNode, encodeSenmlPaths, type SenmlSerialisation } from './SenmlCodec.ts';
import { readSenmlRecords, senmlRecord, type SenmlDecodeOptions, type SenmlRecord } from './SenmlPack.ts';
import type { WireValue } from './WireValue.ts';

const FORMAT = 'SenML CBOR';
const LABEL = { bver: -1, bn: -2, bt: -3, n: 0, v: 2, vs: 3, vb: 4, t: 6, vd: 8 } as const;
const OBJLNK_LABEL = 'vlo';
/** RFC 8428 section 4.4: the version this decoder understands. */
const SENML_VERSION = 10;
// Root item, the pack array, the record maps: nothing deeper is SenML.
const LIMITS = { maxDepth: 3, allowedTags: [] };

const SERIALISATION: SenmlSerialisation = { format: FORMAT, writePack: (records) => success(writePack(records)), readPack };

export function encodeSenmlCbor(node: LwM2mNode, path: LwM2mPath): ContentResult<Uint8Array> {
  return encodeSenmlNode(SERIALISATION, node, path);
}

export function encodeSenmlCborEntries(entries: readonly PathValue[]): ContentResult<Uint8Array> {
  return encodeSenmlEntries(SERIALISATION, entries);
}

export function encodeSenmlCborPaths(paths: readonly CompositePath[]): ContentResult<Uint8Array> {
  return encodeSenmlPaths(SERIALISATION, paths);
}

export function decodeSenmlCbor(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog, options: SenmlDecodeOptions = {}): ContentResult<LwM2mNode> {
  return decodeSenmlNode(SERIALISATION, bytes, path, catalog, options);
}

export function decodeSenmlCborEntries(bytes: Uint8Array, catalog: ObjectModelCatalog, options: SenmlDecodeOptions = {}): ContentResult<PathValue[]> {
  return decodeSenmlEntries(SERIALISATION, bytes, catalog, options);
}

export function decodeSenmlCborPaths(bytes: Uint8Array): ContentResult<LwM2mPath[]> {
  return decodeSenmlPaths(SERIALISATION, bytes);
}

function writePack(records: readonly SenmlRecord[]): Uint8Array {
  const writer = new CborWriter().array(records.length);
  for (const record of records) {
    const fields: ((w: CborWriter) => void)[] = [];
    if (record.baseName !== undefined) fields.push((w) => w.integer(LABEL.bn).text(record.baseName as string));
    if (record.name !== undefined) fields.push((w) => w.integer(LABEL.n).text(record.name as string));
    if (record.value !== undefined) {
      const value = record.value;
      fields.push((w) => writeValue(w, value));
    }
    if (record.time !== undefined) fields.push((w) => w.integer(LABEL.t).number(record.time as number));
    writer.map(fields.length);
    for (const field of fields) field(writer);
  }
  return writer.toBytes();
}

function writeValue(writer: CborWriter, wire: WireValue): void {
  switch (wire.kind) {
    case 'number':
      writer.integer(LABEL.v);
      if (typeof wire.value === 'bigint') writer.integer(wire.value);
      else writer.float(wire.value);
      return;
    case 'string':
      writer.integer(LABEL.vs).text(wire.value);
      return;
    case 'boolean':
      writer.integer(LABEL.vb).boolean(wire.value);
      return;
    case 'bytes':
      writer.integer(LABEL.vd).byteString(wire.value);
      return;
    case 'objlnk':
      writer.text(OBJLNK_LABEL).text(wire.value);
      return;
  }
}

function readPack(bytes: Uint8Array): ContentResult<SenmlRecord[]> {
  const decoded = readCbor(bytes, LIMITS);
  if (!decoded.ok) return decoded;
  if (!Array.isArray(decoded.value)) return failure(`${FORMAT} content is not a CBOR array`, 0);
  return readSenmlRecords(decoded.value as unknown[], readRecord, FORMAT);
}

function readRecord(raw: unknown): SenmlRecord | string {
  if (!(raw instanceof Map)) return 'not a CBOR map';
  const fields = raw as Map<unknown, unknown>;
  for (const key of fields.keys()) {
    if (typeof key === 'string' && key.endsWith('_')) return `label "${key}" must be understood and is not`;
  }
  const version = fields.get(LABEL.bver);
  if (version !== undefined && !(typeof version === 'number' && version <= SENML_VERSION)) return 'unsupported SenML version (bver)';
  const baseName = fields.get(LABEL.bn);
  const name = fields.get(LABEL.n);
  if ((baseName !== undefined && typeof baseName !== 'string') || (name !== undefined && typeof name !== 'string')) return 'bn (-2) and n (0) must be text strings';
  const baseTime = timeField(fields.get(LABEL.bt));
  const time = timeField(fields.get(LABEL.t));
  if (baseTime === null || time === null) return 'bt (-3) and t (6) must be finite numbers';
  const value = readValue(fields);
  if (typeof value === 'string') return value;
  return senmlRecord({ baseName, baseTime, name, time, value });
}

function readValue(fields: Map<unknown, unknown>): WireValue | undefined | string {
  const candidates: [unknown, unknown][] = [
    [LABEL.v, fields.get(LABEL.v)],
    [LABEL.vs, fields.get(LABEL.vs)],
    [LABEL.vb, fields.get(LABEL.vb)],
    [LABEL.vd, fields.get(LABEL.vd)],
    [OBJLNK_LABEL, fields.get(OBJLNK_LABEL)],
  ];
  const present = candidates.filter(([, value]) => value !== undefined);
  if (present.length > 1) return `several values (labels ${present.map(([label]) => String(label)).join(', ')})`;
  const [label, value] = present[0] ?? [undefined, undefined];
  switch (label) {
    case undefined:
      return undefined;
    case LABEL.v:
      return typeof value === 'number' || typeof value === 'bigint' ? { kind: 'number', value } : 'v (2) is not a number';
    case LABEL.vs:
      return typeof value === 'string' ? { kind: 'string', value } : 'vs (3) is not a text string';
    case LABEL.vb:
      return typeof value === 'boolean' ? { kind: 'boolean', value } : 'vb (4) is not a boolean';
    case LABEL.vd:
      return value instanceof Uint8Array ? { kind: 'bytes', value: Uint8Array.from(value) } : 'vd (8) is not a byte string';
    default:
      return typeof value === 'string' ? { kind: 'objlnk', value } : 'vlo is not a text string';
  }
}

/** A time field: seconds (possibly fractional); null when it is not a number. */
function timeField(raw: unknown): number | undefined | null {
  if (raw === undefined) return undefined;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'bigint') return Number(raw);
  return null;
}
