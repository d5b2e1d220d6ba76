/**
 * The SenML data model shared by SenML JSON (110) and SenML CBOR (112), RFC 8428 with the LwM2M rules
 * of Core 1.1 section 7.4.5: names are paths, base name and base time apply to the record that sets
 * them and to every later one (RFC 8428 section 4.1), the value is one of `v`, `vs`, `vb`, `vd` or
 * `vlo` (an LwM2M object link, "3:0"), and a time is `bt + t`.
 *
 * Times below 2^28 are relative to the time of reception (RFC 8428 section 4.5.3): the decoder takes
 * that time as an option (the domain has no clock) and refuses relative times without it. A record
 * without `bt` or `t` has no time.
 */
import type { CompositePath, LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { PathValue } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { nameToPath, relativeNames } from './EntryNames.ts';
import { typeWireValue, valueToWire, type WireValue } from './WireValue.ts';
import { formatCompositePath, formatPath } from '../LwM2mPath.ts';

/** One SenML record as the format carries it, before base values are applied. */
export interface SenmlRecord {
  readonly baseName?: string;
  readonly baseTime?: number;
  readonly name?: string;
  readonly time?: number;
  readonly value?: WireValue;
}

export interface SenmlDecodeOptions {
  /** Seconds since the epoch at reception, to resolve relative times (RFC 8428 section 4.5.3). */
  readonly now?: number;
}

/** Absolute times start here; smaller ones are relative to now (RFC 8428 section 4.5.3). */
export const SENML_RELATIVE_TIME_LIMIT = 2 ** 28;

interface ResolvedRecord {
  readonly index: number;
  readonly path: LwM2mPath;
  readonly value?: WireValue;
  readonly time?: number;
}

/**
 * Applies base name and base time. With `valuesExpected`, a record of base fields alone (no name, no
 * value) only sets them for the records after it; in a path list, every record names a path.
 */
function resolve(records: readonly SenmlRecord[], options: SenmlDecodeOptions, format: string, valuesExpected: boolean): ContentResult<ResolvedRecord[]> {
  const resolved: ResolvedRecord[] = [];
  let baseName = '';
  let baseTime: number | undefined;
  for (const [index, record] of records.entries()) {
    if (record.baseName !== undefined) baseName = record.baseName;
    if (record.baseTime !== undefined) baseTime = record.baseTime;
    if (valuesExpected && record.name === undefined && record.value === undefined) continue;
    const where = `${format} record ${index}`;
    const path = nameToPath(baseName + (record.name ?? ''));
    if (typeof path === 'string') return failure(`${where}: ${path}`);
    let time: number | undefined;
    if (baseTime !== undefined || record.time !== undefined) {
      time = (baseTime ?? 0) + (record.time ?? 0);
      if (!Number.isFinite(time)) return failure(`${where}: time out of range`);
      if (time < SENML_RELATIVE_TIME_LIMIT) {
        if (options.now === undefined) return failure(`${where}: relative time ${time} needs the time of reception`);
        time += options.now;
      }
    }
    resolved.push({ index, path, ...(record.value === undefined ? {} : { value: record.value }), ...(time === undefined ? {} : { time }) });
  }
  return success(resolved);
}

/** The values of a pack, typed by the model (Read, Notify, Send, Write-Composite payloads). */
export function senmlToEntries(records: readonly SenmlRecord[], catalog: ObjectModelCatalog, options: SenmlDecodeOptions, format: string): ContentResult<PathValue[]> {
  const resolved = resolve(records, options, format, true);
  if (!resolved.ok) return resolved;
  const entries: PathValue[] = [];
  for (const record of resolved.value) {
    const where = `${format} record ${record.index}`;
    if (record.value === undefined) return failure(`${where} (${formatPath(record.path)}) has no value`);
    const value = typeWireValue(record.path, record.value, catalog);
    if (!value.ok) return failure(`${where}: ${value.error.message}`);
    entries.push(record.time === undefined ? { path: record.path, value: value.value } : { path: record.path, value: value.value, time: record.time });
  }
  return success(entries);
}

/** The paths of a pack of names only: the payload of Read-Composite and Observe-Composite (Core 1.1 sections 6.3 and 6.4). */
export function senmlToPaths(records: readonly SenmlRecord[], format: string): ContentResult<LwM2mPath[]> {
  const resolved = resolve(records, {}, format, false);
  if (!resolved.ok) return resolved;
  const withValue = resolved.value.find((record) => record.value !== undefined);
  if (withValue !== undefined) return failure(`${format} record ${withValue.index} carries a value where only a path was expected`);
  return success(resolved.value.map((record) => record.path));
}

/**
 * Records for entries. With `basePath` (the content of a Read or Write on that path), the first record
 * carries it as base name and the others relative names; without it, every name is a full path.
 * Times are written absolute in `t`.
 */
export function entriesToSenml(entries: readonly PathValue[], basePath?: LwM2mPath): SenmlRecord[] {
  const naming = basePath === undefined ? undefined : relativeNames(basePath, entries);
  return entries.map((entry, index) => {
    const name = naming === undefined ? formatPath(entry.path) : naming.names[index];
    return {
      ...(naming !== undefined && index === 0 ? { baseName: naming.baseName } : {}),
      ...(name === undefined ? {} : { name }),
      ...(entry.time === undefined ? {} : { time: entry.time }),
      value: valueToWire(entry.value, 'bytes'),
    };
  });
}

export function pathsToSenml(paths: readonly CompositePath[]): SenmlRecord[] {
  return paths.map((path) => ({ name: formatCompositePath(path) }));
}

/** A record of the fields a format read, without the ones it did not carry. */
export function senmlRecord(fields: {
  readonly baseName: string | undefined;
  readonly baseTime: number | undefined;
  readonly name: string | undefined;
  readonly time: number | undefined;
  readonly value: WireValue | undefined;
}): SenmlRecord {
  return {
    ...(fields.baseName === undefined ? {} : { baseName: fields.baseName }),
    ...(fields.baseTime === undefined ? {} : { baseTime: fields.baseTime }),
    ...(fields.name === undefined ? {} : { name: fields.name }),
    ...(fields.time === undefined ? {} : { time: fields.time }),
    ...(fields.value === undefined ? {} : { value: fields.value }),
  };
}

/** Reads each item of a pack array as a record; the first that is not one fails the pack, by index. */
export function readSenmlRecords<Item>(items: readonly Item[], readRecord: (item: Item) => SenmlRecord | string, format: string): ContentResult<SenmlRecord[]> {
  const records: SenmlRecord[] = [];
  for (const [index, item] of items.entries()) {
    const record = readRecord(item);
    if (typeof record === 'string') return failure(`${format} record ${index}: ${record}`);
    records.push(record);
  }
  return success(records);
}
