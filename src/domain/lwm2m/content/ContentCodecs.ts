/**
 * The content-format facade: encode and decode LwM2M content by content-format id. Link format (40)
 * is not content of a node: registration and Discover parse it elsewhere.
 *
 * - `encodeContent`/`decodeContent`: the node for one path (Read, Write, Create, Observe).
 * - `encodeEntries`/`decodeEntries`: full paths with optional times (Send, composite operations,
 *   notifications with historical values), for the formats that name full paths.
 * - `encodePaths`/`decodePaths`: the path lists of Read-Composite and Observe-Composite (SenML).
 */
import { formatPath, pathLevel, type CompositePath, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, PathValue } from '../LwM2mValue.ts';
import { decodeCborSingleValue, encodeCborSingleValue } from './CborSingleValueCodec.ts';
import { CONTENT_FORMAT, contentFormatName } from './ContentFormat.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { decodeLwM2mCbor, decodeLwM2mCborEntries, encodeLwM2mCbor, encodeLwM2mCborEntries } from './LwM2mCborCodec.ts';
import { decodeLwM2mJson, decodeLwM2mJsonEntries, encodeLwM2mJson, encodeLwM2mJsonEntries } from './LwM2mJsonCodec.ts';
import { decodeOpaque, encodeOpaque } from './OpaqueCodec.ts';
import { decodeSenmlCbor, decodeSenmlCborEntries, decodeSenmlCborPaths, encodeSenmlCbor, encodeSenmlCborEntries, encodeSenmlCborPaths } from './SenmlCborCodec.ts';
import { decodeSenmlJson, decodeSenmlJsonEntries, decodeSenmlJsonPaths, encodeSenmlJson, encodeSenmlJsonEntries, encodeSenmlJsonPaths } from './SenmlJsonCodec.ts';
import type { SenmlDecodeOptions } from './SenmlPack.ts';
import { decodeTextPlain, encodeTextPlain } from './TextPlainCodec.ts';
import { decodeTlv } from './TlvDecoder.ts';
import { encodeTlv } from './TlvEncoder.ts';

import { entriesToNode } from './NodeEntries.ts';

export { nodeToEntries, entriesToNode } from './NodeEntries.ts';
export type { ContentError, ContentResult } from './ContentResult.ts';
export type { SenmlDecodeOptions } from './SenmlPack.ts';

/** Options of decoding: the time of reception, for SenML's relative times. */
export type DecodeOptions = SenmlDecodeOptions;

function unsupported(format: number, what: string): ContentResult<never> {
  return failure(`${contentFormatName(format)} cannot carry ${what}`);
}

/**
 * Whether `node` is content for `path`: an object for its object path, an object instance for its
 * instance path (Write) or its object path (Create), a resource or resource instance for its own path.
 */
function checkNodeFitsPath(node: LwM2mNode, path: LwM2mPath): ContentResult<void> {
  const level = pathLevel(path);
  const fits =
    node.kind === 'object'
      ? level === 'object' && node.id === path.objectId
      : node.kind === 'objectInstance'
        ? level === 'object' || (level === 'instance' && node.id === path.instanceId)
        : node.kind === 'resourceInstance'
          ? level === 'resourceInstance' && node.id === path.resourceInstanceId
          : level === 'resource' && node.id === path.resourceId;
  return fits ? success(undefined) : failure(`a ${node.kind} with id ${node.id} is not content for ${formatPath(path)}`);
}

export function encodeContent(format: number, node: LwM2mNode, path: LwM2mPath): ContentResult<Uint8Array> {
  const fits = checkNodeFitsPath(node, path);
  if (!fits.ok) return fits;
  switch (format) {
    case CONTENT_FORMAT.textPlain:
      return encodeTextPlain(node);
    case CONTENT_FORMAT.opaque:
      return encodeOpaque(node);
    case CONTENT_FORMAT.cbor:
      return encodeCborSingleValue(node);
    case CONTENT_FORMAT.tlv:
    case CONTENT_FORMAT.tlvPreRegistration:
      return encodeTlv(node, path);
    case CONTENT_FORMAT.lwm2mJson:
    case CONTENT_FORMAT.lwm2mJsonPreRegistration:
      return encodeLwM2mJson(node, path);
    case CONTENT_FORMAT.senmlJson:
      return encodeSenmlJson(node, path);
    case CONTENT_FORMAT.senmlCbor:
      return encodeSenmlCbor(node, path);
    case CONTENT_FORMAT.lwm2mCbor:
      return encodeLwM2mCbor(node, path);
    default:
      return unsupported(format, 'LwM2M node content');
  }
}

export function decodeContent(format: number, bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog, options: DecodeOptions = {}): ContentResult<LwM2mNode> {
  switch (format) {
    case CONTENT_FORMAT.textPlain:
      return decodeTextPlain(bytes, path, catalog);
    case CONTENT_FORMAT.opaque:
      return decodeOpaque(bytes, path, catalog);
    case CONTENT_FORMAT.cbor:
      return decodeCborSingleValue(bytes, path, catalog);
    case CONTENT_FORMAT.tlv:
    case CONTENT_FORMAT.tlvPreRegistration:
      return decodeTlv(bytes, path, catalog);
    case CONTENT_FORMAT.lwm2mJson:
    case CONTENT_FORMAT.lwm2mJsonPreRegistration:
      return decodeLwM2mJson(bytes, path, catalog);
    case CONTENT_FORMAT.senmlJson:
      return decodeSenmlJson(bytes, path, catalog, options);
    case CONTENT_FORMAT.senmlCbor:
      return decodeSenmlCbor(bytes, path, catalog, options);
    case CONTENT_FORMAT.lwm2mCbor:
      return decodeLwM2mCbor(bytes, path, catalog);
    default:
      return unsupported(format, 'LwM2M node content');
  }
}

/**
 * The node for `path` from the entries `decodeEntries` gave for the same bytes, where `decodeContent`
 * builds its node from those same entries (SenML JSON and CBOR: the pack resolved into entries, then
 * gathered under the path, RFC 8428 section 4); undefined for the other formats, whose node is decoded
 * from the bytes. A notification is read as entries first (for historical values): this spares it a
 * second decode of the same pack.
 */
export function decodeContentFromEntries(format: number, entries: readonly PathValue[], path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> | undefined {
  switch (format) {
    case CONTENT_FORMAT.senmlJson:
    case CONTENT_FORMAT.senmlCbor:
      return entriesToNode(entries, path, catalog);
    default:
      return undefined;
  }
}

export function encodeEntries(format: number, entries: readonly PathValue[]): ContentResult<Uint8Array> {
  switch (format) {
    case CONTENT_FORMAT.senmlJson:
      return encodeSenmlJsonEntries(entries);
    case CONTENT_FORMAT.senmlCbor:
      return encodeSenmlCborEntries(entries);
    case CONTENT_FORMAT.lwm2mJson:
    case CONTENT_FORMAT.lwm2mJsonPreRegistration:
      return encodeLwM2mJsonEntries(entries);
    case CONTENT_FORMAT.lwm2mCbor:
      return encodeLwM2mCborEntries(entries);
    default:
      return unsupported(format, 'values by full path');
  }
}

export function decodeEntries(format: number, bytes: Uint8Array, catalog: ObjectModelCatalog, options: DecodeOptions = {}): ContentResult<PathValue[]> {
  switch (format) {
    case CONTENT_FORMAT.senmlJson:
      return decodeSenmlJsonEntries(bytes, catalog, options);
    case CONTENT_FORMAT.senmlCbor:
      return decodeSenmlCborEntries(bytes, catalog, options);
    case CONTENT_FORMAT.lwm2mJson:
    case CONTENT_FORMAT.lwm2mJsonPreRegistration:
      return decodeLwM2mJsonEntries(bytes, catalog);
    case CONTENT_FORMAT.lwm2mCbor:
      return decodeLwM2mCborEntries(bytes, catalog);
    default:
      return unsupported(format, 'values by full path');
  }
}

export function encodePaths(format: number, paths: readonly CompositePath[]): ContentResult<Uint8Array> {
  switch (format) {
    case CONTENT_FORMAT.senmlJson:
      return encodeSenmlJsonPaths(paths);
    case CONTENT_FORMAT.senmlCbor:
      return encodeSenmlCborPaths(paths);
    default:
      return unsupported(format, 'a list of paths');
  }
}

export function decodePaths(format: number, bytes: Uint8Array): ContentResult<LwM2mPath[]> {
  switch (format) {
    case CONTENT_FORMAT.senmlJson:
      return decodeSenmlJsonPaths(bytes);
    case CONTENT_FORMAT.senmlCbor:
      return decodeSenmlCborPaths(bytes);
    default:
      return unsupported(format, 'a list of paths');
  }
}
