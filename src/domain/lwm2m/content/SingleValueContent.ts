/**
 * The shared shape of the formats that carry one value (text/plain and opaque, Core 1.1 sections
 * 7.4.1 and 7.4.2): a single-instance resource or a resource instance, never more.
 */
import { formatPath, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, LwM2mValue } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { isMultipleAt } from './ModelLookup.ts';

/** The value of a node that holds exactly one, or an error naming the format that cannot carry more. */
export function singleValueOf(node: LwM2mNode, formatName: string): ContentResult<LwM2mValue> {
  if (node.kind === 'resource' || node.kind === 'resourceInstance') return success(node.value);
  return failure(`${formatName} carries a single value, not a ${node.kind}`);
}

/** Refuses paths that name more than one value: not a resource, or a resource with several instances. */
export function checkSingleValuePath(path: LwM2mPath, catalog: ObjectModelCatalog, formatName: string): ContentResult<void> {
  if (path.resourceId === undefined) return failure(`${formatName} carries a single value; ${formatPath(path)} is not a resource`);
  if (path.resourceInstanceId === undefined && isMultipleAt(catalog, path.objectId, path.resourceId) === true) {
    return failure(`${formatName} carries a single value; ${formatPath(path)} has several instances`);
  }
  return success(undefined);
}

/** Wraps a decoded value as the node that `path` (checked by `checkSingleValuePath`) names. */
export function singleValueNode(path: LwM2mPath, value: LwM2mValue): LwM2mNode {
  return path.resourceInstanceId === undefined
    ? { kind: 'resource', id: path.resourceId as number, value }
    : { kind: 'resourceInstance', id: path.resourceInstanceId, value };
}
