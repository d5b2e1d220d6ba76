/**
 * What the codecs need to know from the object model: the type of a resource and whether it has
 * several instances. Formats that do not carry types on the wire (text/plain, opaque, TLV, and the
 * numbers of the JSON and CBOR formats) are typed from here.
 *
 * The catalog is asked for an object by id only: to type by the object versions a device registered
 * (`</3>;ver=1.1`), pass a catalog that answers with those versions.
 */
import { findResource, type ObjectModelCatalog, type ResourceModel } from '../ObjectModel.ts';
import type { LwM2mPath } from '../LwM2mPath.ts';
import { formatPath } from '../LwM2mPath.ts';
import type { LwM2mValueType } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';

export function resourceModelAt(catalog: ObjectModelCatalog, objectId: number, resourceId: number): ResourceModel | undefined {
  const object = catalog.object(objectId);
  return object === undefined ? undefined : findResource(object, resourceId);
}

/**
 * The value type of the resource at `path` (a resource or resource-instance path), `undefined` when
 * the model does not know the resource: the caller then falls back on what the format itself says.
 * An executable resource has no value, so content for it is an error.
 */
export function valueTypeAt(catalog: ObjectModelCatalog, path: LwM2mPath): ContentResult<LwM2mValueType | undefined> {
  if (path.resourceId === undefined) return failure(`${formatPath(path)} is not a resource path`);
  const resource = resourceModelAt(catalog, path.objectId, path.resourceId);
  if (resource === undefined) return success(undefined);
  if (resource.type === 'none') return failure(`resource ${formatPath(path)} is executable and holds no value`);
  return success(resource.type);
}

/** True or false when the model says whether the resource has several instances, `undefined` when unknown. */
export function isMultipleAt(catalog: ObjectModelCatalog, objectId: number, resourceId: number): boolean | undefined {
  return resourceModelAt(catalog, objectId, resourceId)?.multiple;
}
