/**
 * LwM2M CBOR (content format 11544), LwM2M Core 1.2 section 7.4.7: nested CBOR maps keyed by path
 * segments. A key is one id (an unsigned integer) or several (an array of them); the keys from the
 * root to a value concatenate to the value's full path. Values are CBOR integers (integer, unsigned,
 * time), floats, booleans, text strings (string, core link, and object link as "3:0"), byte strings
 * (opaque); a time may also come as tag 1 (epoch seconds, RFC 8949 section 3.4.2).
 *
 * Encoding writes maps in id order and folds every chain of single-child maps into one array key,
 * e.g. Read /3/0 -> {[3, 0]: {0: "Open Mobile Alliance", ...}}. Integers take the shortest head and
 * floats 4 bytes when exact, else 8 (see CborWriter).
 */
import { MAX_ID, formatPath, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, PathValue } from '../LwM2mValue.ts';
import { CborWriter } from './CborWriter.ts';
import { readCbor } from './CborReader.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { entriesToNode, nodeToEntries } from './NodeEntries.ts';
import { typeWireValue, valueToWire, type WireValue } from './WireValue.ts';

const FORMAT = 'LwM2M CBOR';
const EPOCH_TIME_TAG = 1;
const MAX_PATH_LENGTH = 4;
// Root item, one map per path segment at most, an array key, a tag: the deepest honest content.
const LIMITS = { maxDepth: 2 + MAX_PATH_LENGTH + 1, allowedTags: [EPOCH_TIME_TAG] };

interface Trie {
  value?: WireValue;
  readonly children: Map<number, Trie>;
}

export function encodeLwM2mCbor(node: LwM2mNode, path: LwM2mPath): ContentResult<Uint8Array> {
  return encodeLwM2mCborEntries(nodeToEntries(node, path));
}

/** Entries by full path. LwM2M CBOR has no timestamps (Core 1.2 section 7.4.7): timed entries need SenML. */
export function encodeLwM2mCborEntries(entries: readonly PathValue[]): ContentResult<Uint8Array> {
  const root: Trie = { children: new Map() };
  for (const entry of entries) {
    if (entry.time !== undefined) return failure(`${FORMAT} cannot carry the time of ${formatPath(entry.path)}; use SenML`);
    let trie = root;
    for (const id of segments(entry.path)) {
      let child = trie.children.get(id);
      if (child === undefined) trie.children.set(id, (child = { children: new Map() }));
      trie = child;
    }
    // A map key holds a value or a map, never both: a resource cannot have a value and instances.
    if (trie.value !== undefined || trie.children.size > 0 || hasValueAbove(root, entry.path)) {
      return failure(`${FORMAT} cannot carry ${formatPath(entry.path)} twice or with values above or below it`);
    }
    trie.value = valueToWire(entry.value, 'bytes');
  }
  const writer = new CborWriter();
  writeMap(writer, root);
  return success(writer.toBytes());
}

function hasValueAbove(root: Trie, path: LwM2mPath): boolean {
  let trie: Trie | undefined = root;
  const ids = segments(path);
  for (const id of ids.slice(0, -1)) {
    trie = trie.children.get(id);
    if (trie === undefined) return false;
    if (trie.value !== undefined) return true;
  }
  return false;
}

function segments(path: LwM2mPath): number[] {
  return [path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId].filter((id): id is number => id !== undefined);
}

function writeMap(writer: CborWriter, trie: Trie): void {
  const children = [...trie.children.entries()].sort(([a], [b]) => a - b);
  writer.map(children.length);
  for (const [id, child] of children) {
    const key = [id];
    let node = child;
    // Fold a chain of maps with one child each into a single array key.
    while (node.value === undefined && node.children.size === 1) {
      const [nextId, next] = node.children.entries().next().value as [number, Trie];
      key.push(nextId);
      node = next;
    }
    if (key.length === 1) writer.integer(id);
    else {
      writer.array(key.length);
      for (const segment of key) writer.integer(segment);
    }
    if (node.value !== undefined) writeCborValue(writer, node.value);
    else writeMap(writer, node);
  }
}

/** One value as LwM2M CBOR writes it (Core 1.2 section 7.4.7); the CBOR single-value format (section 7.4.6) writes the same items. */
export function writeCborValue(writer: CborWriter, wire: WireValue): void {
  switch (wire.kind) {
    case 'number':
      if (typeof wire.value === 'bigint') writer.integer(wire.value);
      else writer.float(wire.value);
      return;
    case 'string':
    case 'objlnk':
      writer.text(wire.value);
      return;
    case 'boolean':
      writer.boolean(wire.value);
      return;
    case 'bytes':
      writer.byteString(wire.value);
      return;
  }
}

export function decodeLwM2mCbor(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> {
  const entries = decodeLwM2mCborEntries(bytes, catalog);
  if (!entries.ok) return entries;
  return entriesToNode(entries.value, path, catalog);
}

export function decodeLwM2mCborEntries(bytes: Uint8Array, catalog: ObjectModelCatalog): ContentResult<PathValue[]> {
  const decoded = readCbor(bytes, LIMITS);
  if (!decoded.ok) return decoded;
  if (!(decoded.value instanceof Map)) return failure(`${FORMAT} content is not a CBOR map`, 0);
  const entries: PathValue[] = [];
  const walked = walk(decoded.value as Map<unknown, unknown>, [], entries, catalog);
  return walked === undefined ? success(entries) : failure(`${FORMAT}: ${walked}`);
}

/** Collects the values under `map`, whose keys continue `prefix`; returns an error text or undefined. Recursion is bounded by the path length (4). */
function walk(map: Map<unknown, unknown>, prefix: readonly number[], entries: PathValue[], catalog: ObjectModelCatalog): string | undefined {
  for (const [key, value] of map) {
    const ids = keySegments(key);
    if (ids === undefined) return `key ${describe(key)} under /${prefix.join('/')} is not an id or an array of ids`;
    const full = [...prefix, ...ids];
    if (full.length > MAX_PATH_LENGTH) return `path /${full.join('/')} is longer than ${MAX_PATH_LENGTH} ids`;
    if (value instanceof Map) {
      const error = walk(value as Map<unknown, unknown>, full, entries, catalog);
      if (error !== undefined) return error;
      continue;
    }
    const [objectId, instanceId, resourceId, resourceInstanceId] = full;
    if (objectId === undefined || instanceId === undefined || resourceId === undefined) return `a value at /${full.join('/')}, which is not a resource`;
    const path: LwM2mPath = resourceInstanceId === undefined ? { objectId, instanceId, resourceId } : { objectId, instanceId, resourceId, resourceInstanceId };
    const wire = cborItemToWire(value);
    if (wire === undefined) return `the value at /${full.join('/')} is a ${describe(value)}, not an LwM2M value`;
    const typed = typeWireValue(path, wire, catalog);
    if (!typed.ok) return typed.error.message;
    entries.push({ path, value: typed.value });
  }
  return undefined;
}

function keySegments(key: unknown): number[] | undefined {
  const ids = Array.isArray(key) ? (key as unknown[]) : [key];
  if (ids.length === 0) return undefined;
  const out: number[] = [];
  for (const id of ids) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID) return undefined;
    out.push(id);
  }
  return out;
}

/** A decoded CBOR item as a wire value; undefined for maps, arrays, null and invalid dates. */
export function cborItemToWire(value: unknown): WireValue | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return { kind: 'number', value };
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'boolean') return { kind: 'boolean', value };
  if (value instanceof Uint8Array) return { kind: 'bytes', value: Uint8Array.from(value) };
  if (value instanceof Date) {
    const millis = value.getTime();
    return Number.isFinite(millis) ? { kind: 'number', value: millis / 1000 } : undefined;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'map' : typeof value;
}
