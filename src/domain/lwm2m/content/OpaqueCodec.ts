/**
 * application/octet-stream (content format 42): the raw bytes of one opaque resource value, Core 1.1
 * section 7.4.2 (firmware images, binary blobs).
 */
import { formatPath, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { valueTypeAt } from './ModelLookup.ts';
import { checkSingleValuePath, singleValueNode, singleValueOf } from './SingleValueContent.ts';

const FORMAT = 'opaque';

export function encodeOpaque(node: LwM2mNode): ContentResult<Uint8Array> {
  const value = singleValueOf(node, FORMAT);
  if (!value.ok) return value;
  if (value.value.type !== 'opaque') return failure(`${FORMAT} carries opaque values only, not ${value.value.type}`);
  return success(value.value.value);
}

/** Decodes the bytes of the opaque resource (instance) at `path`; an unknown resource is taken as opaque. */
export function decodeOpaque(bytes: Uint8Array, path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> {
  const checked = checkSingleValuePath(path, catalog, FORMAT);
  if (!checked.ok) return checked;
  const type = valueTypeAt(catalog, path);
  if (!type.ok) return type;
  if (type.value !== undefined && type.value !== 'opaque') {
    return failure(`${FORMAT} content for ${formatPath(path)}, a ${type.value} resource`);
  }
  return success(singleValueNode(path, { type: 'opaque', value: Uint8Array.from(bytes) }));
}
