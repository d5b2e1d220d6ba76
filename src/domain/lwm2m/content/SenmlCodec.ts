/**
 * The codec operations of SenML (RFC 8428), the same for every serialisation of the pack (SenML JSON
 * 110, SenML CBOR 112): a node, entries or paths become SenML records (SenmlPack) and the
 * serialisation writes them; bytes are read into records and the records resolved.
 */
import type { CompositePath, LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, PathValue } from '../LwM2mValue.ts';
import type { ContentResult } from './ContentResult.ts';
import { entriesToNode, nodeToEntries } from './NodeEntries.ts';
import { entriesToSenml, pathsToSenml, senmlToEntries, senmlToPaths, type SenmlDecodeOptions, type SenmlRecord } from './SenmlPack.ts';

/** How one format writes and reads a SenML pack; `format` names it in errors. */
export interface SenmlSerialisation {
  readonly format: string;
  writePack(records: readonly SenmlRecord[]): ContentResult<Uint8Array>;
  readPack(bytes: Uint8Array): ContentResult<SenmlRecord[]>;
}

export function encodeSenmlNode(serialisation: SenmlSerialisation, node: LwM2mNode, path: LwM2mPath): ContentResult<Uint8Array> {
  return serialisation.writePack(entriesToSenml(nodeToEntries(node, path), path));
}

export function encodeSenmlEntries(serialisation: SenmlSerialisation, entries: readonly PathValue[]): ContentResult<Uint8Array> {
  return serialisation.writePack(entriesToSenml(entries));
}

export function encodeSenmlPaths(serialisation: SenmlSerialisation, paths: readonly CompositePath[]): ContentResult<Uint8Array> {
  return serialisation.writePack(pathsToSenml(paths));
}

export function decodeSenmlNode(serialisation: SenmlSerialisation, bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog, options: SenmlDecodeOptions): ContentResult<LwM2mNode> {
  const entries = decodeSenmlEntries(serialisation, bytes, catalog, options);
  if (!entries.ok) return entries;
  return entriesToNode(entries.value, path, catalog);
}

export function decodeSenmlEntries(serialisation: SenmlSerialisation, bytes: Uint8Array, catalog: ObjectModelCatalog, options: SenmlDecodeOptions): ContentResult<PathValue[]> {
  const records = serialisation.readPack(bytes);
  if (!records.ok) return records;
  return senmlToEntries(records.value, catalog, options, serialisation.format);
}

export function decodeSenmlPaths(serialisation: SenmlSerialisation, bytes: Uint8Array): ContentResult<LwM2mPath[]> {
  const records = serialisation.readPack(bytes);
  if (!records.ok) return records;
  return senmlToPaths(records.value, serialisation.format);
}
