/**
 * Reads CBOR content from devices with cbor-x, after checking it ourselves: cbor-x trusts its input
 * more than a server can (it decodes invalid UTF-8 without complaint, builds objects for dozens of
 * tags, and pre-sizes arrays from the announced length). The check walks the items iteratively and
 * refuses, with the byte offset: truncated items, lengths beyond the remaining bytes, nesting deeper
 * than the format needs, indefinite-length strings, invalid UTF-8, tags other than those allowed,
 * simple values other than false/true/null, and trailing bytes (RFC 8949 section 5.3, "well-formed
 * and valid").
 */
import { Decoder } from 'cbor-x';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { decodeUtf8 } from './ScalarConversion.ts';

export interface CborLimits {
  /** Deepest nesting of arrays, maps and tags allowed. */
  readonly maxDepth: number;
  /** Tag numbers allowed (e.g. 1, epoch time, in LwM2M CBOR). */
  readonly allowedTags: readonly number[];
}

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

/** Decodes checked CBOR into plain values: Map for maps, arrays, number | bigint, string, Uint8Array, boolean, null, Date (tag 1). */
export function readCbor(bytes: Uint8Array, limits: CborLimits): ContentResult<unknown> {
  const checked = checkCbor(bytes, limits);
  if (!checked.ok) return checked;
  try {
    return success(decoder.decode(bytes));
  } catch (error) {
    // Unreachable for checked input; kept so that a cbor-x surprise is still a typed error.
    return failure(`invalid CBOR: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface Frame {
  /** Items still expected in this array/map/tag; Infinity for indefinite length. */
  remaining: number;
  readonly indefinite: boolean;
  /** Items seen in an indefinite-length map, which must come in pairs. */
  count: number;
  readonly isMap: boolean;
}

function checkCbor(bytes: Uint8Array, limits: CborLimits): ContentResult<void> {
  if (bytes.length === 0) return failure('empty CBOR content', 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  const stack: Frame[] = [{ remaining: 1, indefinite: false, count: 0, isMap: false }];
  let position = 0;

  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (!frame.indefinite && frame.remaining === 0) {
      stack.pop();
      continue;
    }
    if (position >= end) return failure('CBOR content ends inside an item', position);
    const offset = position;
    const initial = bytes[position++] as number;
    if (frame.indefinite && initial === 0xff) {
      if (frame.isMap && frame.count % 2 !== 0) return failure('indefinite-length map ends after a key without its value', offset);
      stack.pop();
      continue;
    }
    frame.remaining--;
    frame.count++;
    const major = initial >> 5;
    const info = initial & 0x1f;

    // A double holds the argument exactly up to 2^53; above, it is only compared with the bytes left
    // or with tag numbers, and is beyond both either way.
    let argument = info;
    if (info >= 24 && info <= 27) {
      const width = 1 << (info - 24);
      if (position + width > end) return failure('CBOR item head runs past the end', offset);
      argument = width === 1 ? view.getUint8(position) : width === 2 ? view.getUint16(position) : width === 4 ? view.getUint32(position) : view.getUint32(position) * 2 ** 32 + view.getUint32(position + 4);
      position += width;
    } else if (info >= 28 && info <= 30) {
      return failure(`reserved CBOR additional information ${info}`, offset);
    }
    const indefinite = info === 31;
    const remainingBytes = end - position;

    switch (major) {
      case 0:
      case 1:
        if (indefinite) return failure('an integer cannot have indefinite length', offset);
        break;
      case 2:
      case 3: {
        if (indefinite) return failure('indefinite-length strings are not supported', offset);
        if (argument > remainingBytes) return failure(`CBOR string of ${argument} bytes runs past the end`, offset);
        const length = argument;
        if (major === 3 && decodeUtf8(bytes.subarray(position, position + length)) === undefined) return failure('CBOR text string is not valid UTF-8', offset);
        position += length;
        break;
      }
      case 4:
      case 5: {
        if (stack.length >= limits.maxDepth) return failure(`CBOR nesting deeper than ${limits.maxDepth}`, offset);
        const items = indefinite ? Infinity : argument * (major === 5 ? 2 : 1);
        // Every item takes at least one byte: a longer announcement cannot be honest.
        if (items !== Infinity && items > remainingBytes) return failure(`CBOR ${major === 5 ? 'map' : 'array'} of ${argument} entries runs past the end`, offset);
        stack.push({ remaining: items, indefinite, count: 0, isMap: major === 5 });
        break;
      }
      case 6:
        if (indefinite || !limits.allowedTags.includes(argument)) return failure(`CBOR tag ${argument} is not allowed here`, offset);
        if (stack.length >= limits.maxDepth) return failure(`CBOR nesting deeper than ${limits.maxDepth}`, offset);
        stack.push({ remaining: 1, indefinite: false, count: 0, isMap: false });
        break;
      case 7:
        if (info === 25 || info === 26 || info === 27) break;
        if (info === 20 || info === 21 || info === 22) break;
        if (indefinite) return failure('unexpected CBOR "break"', offset);
        return failure(`CBOR simple value ${argument} is not allowed`, offset);
    }
  }
  if (position !== end) return failure(`${end - position} bytes after the end of the CBOR item`, position);
  return success(undefined);
}
