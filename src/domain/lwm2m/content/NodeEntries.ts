/**
 * Between the tree of a Read/Write payload and the flat "path -> value" list of the SenML-like
 * formats (LwM2M JSON, SenML JSON and CBOR, LwM2M CBOR: Core 1.1 sections 7.4.4 to 7.4.6, Core 1.2
 * section 7.4.7), which name every value by its full path.
 */
import { formatPath, isPathPrefix, pathLevel, type LwM2mPath } from '../LwM2mPath.ts';
import type { ObjectModelCatalog } from '../ObjectModel.ts';
import type { LwM2mNode, LwM2mValue, LwM2mValueType, ObjectInstanceNode, PathValue, ResourceNode } from '../LwM2mValue.ts';
import { failure, success, type ContentResult } from './ContentResult.ts';
import { isMultipleAt, valueTypeAt } from './ModelLookup.ts';

/** Every value of `node` (the content for `path`) with its full path, in id order. */
export function nodeToEntries(node: LwM2mNode, path: LwM2mPath): PathValue[] {
  const { objectId } = path;
  switch (node.kind) {
    case 'object':
      return sorted(node.instances).flatMap((instance) => instanceEntries(objectId, instance));
    case 'objectInstance':
      return instanceEntries(objectId, node);
    case 'resource':
    case 'multipleResource':
      return resourceEntries(objectId, path.instanceId ?? 0, node);
    case 'resourceInstance':
      return [{ path: { ...path, resourceInstanceId: node.id }, value: node.value }];
  }
}

function instanceEntries(objectId: number, instance: ObjectInstanceNode): PathValue[] {
  return sorted(instance.resources).flatMap((resource) => resourceEntries(objectId, instance.id, resource));
}

function resourceEntries(objectId: number, instanceId: number, resource: ResourceNode): PathValue[] {
  const resourcePath = { objectId, instanceId, resourceId: resource.id };
  if (resource.kind === 'resource') return [{ path: resourcePath, value: resource.value }];
  return [...resource.instances.entries()]
    .sort(([a], [b]) => a - b)
    .map(([resourceInstanceId, value]) => ({ path: { ...resourcePath, resourceInstanceId }, value }));
}

function sorted<T>(map: ReadonlyMap<number, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

interface ResourceBuilder {
  single?: LwM2mValue;
  instances?: Map<number, LwM2mValue>;
}

/**
 * Builds the node that `path` asks for from flat entries. Every entry must name a resource or
 * resource instance under `path`, once (a time series is not a node: decode it as entries). A
 * resource is multiple when its entries name instances; an empty multiple resource can only be
 * answered for a resource path, typed by the model.
 */
export function entriesToNode(entries: readonly PathValue[], path: LwM2mPath, catalog: ObjectModelCatalog): ContentResult<LwM2mNode> {
  const tree = new Map<number, Map<number, ResourceBuilder>>();
  const seen = new Set<string>();
  for (const entry of entries) {
    const name = formatPath(entry.path);
    if (!isPathPrefix(path, entry.path)) return failure(`${name} is not under the requested path ${formatPath(path)}`);
    const { instanceId, resourceId, resourceInstanceId } = entry.path;
    if (instanceId === undefined || resourceId === undefined) return failure(`${name} names no resource`);
    if (seen.has(name)) return failure(`several values for ${name}: a time series is decoded as entries, not as a node`);
    seen.add(name);
    let resources = tree.get(instanceId);
    if (resources === undefined) tree.set(instanceId, (resources = new Map<number, ResourceBuilder>()));
    let builder = resources.get(resourceId);
    if (builder === undefined) resources.set(resourceId, (builder = {}));
    if (resourceInstanceId === undefined) {
      if (builder.instances !== undefined) return failure(`${name} has both a single value and instances`);
      builder.single = entry.value;
    } else {
      if (builder.single !== undefined) return failure(`${name} has both a single value and instances`);
      (builder.instances ??= new Map<number, LwM2mValue>()).set(resourceInstanceId, entry.value);
    }
  }

  const { objectId } = path;
  switch (pathLevel(path)) {
    case 'object': {
      const instances = new Map<number, ObjectInstanceNode>();
      for (const [instanceId, resources] of tree) {
        const instance = buildInstance(objectId, instanceId, resources, catalog);
        if (!instance.ok) return instance;
        instances.set(instanceId, instance.value);
      }
      return success({ kind: 'object', id: objectId, instances });
    }
    case 'instance': {
      const instanceId = path.instanceId as number;
      return buildInstance(objectId, instanceId, tree.get(instanceId) ?? new Map<number, ResourceBuilder>(), catalog);
    }
    case 'resource': {
      const resourceId = path.resourceId as number;
      const builder = tree.get(path.instanceId as number)?.get(resourceId);
      if (builder === undefined) {
        if (isMultipleAt(catalog, objectId, resourceId) !== true) return failure(`no value for ${formatPath(path)}`);
        return buildResource(path, {}, catalog);
      }
      return buildResource(path, builder, catalog);
    }
    case 'resourceInstance': {
      const builder = tree.get(path.instanceId as number)?.get(path.resourceId as number);
      const value = builder?.instances?.get(path.resourceInstanceId as number);
      if (value === undefined) return failure(`no value for ${formatPath(path)}`);
      return success({ kind: 'resourceInstance', id: path.resourceInstanceId as number, value });
    }
  }
}

function buildInstance(objectId: number, instanceId: number, builders: Map<number, ResourceBuilder>, catalog: ObjectModelCatalog): ContentResult<ObjectInstanceNode> {
  const resources = new Map<number, ResourceNode>();
  for (const [resourceId, builder] of builders) {
    const resource = buildResource({ objectId, instanceId, resourceId }, builder, catalog);
    if (!resource.ok) return resource;
    resources.set(resourceId, resource.value);
  }
  return success({ kind: 'objectInstance', id: instanceId, resources });
}

function buildResource(path: LwM2mPath, builder: ResourceBuilder, catalog: ObjectModelCatalog): ContentResult<ResourceNode> {
  const resourceId = path.resourceId as number;
  if (builder.single !== undefined) return success({ kind: 'resource', id: resourceId, value: builder.single });
  const instances = builder.instances ?? new Map<number, LwM2mValue>();
  const modelType = valueTypeAt(catalog, path);
  if (!modelType.ok) return modelType;
  const first = instances.values().next();
  const type: LwM2mValueType | undefined = modelType.value ?? (first.done === true ? undefined : first.value.type);
  if (type === undefined) return failure(`no value for ${formatPath(path)}, and no model to type it`);
  for (const [id, value] of instances) {
    if (value.type !== type) return failure(`${formatPath({ ...path, resourceInstanceId: id })} is ${value.type} where ${type} was expected`);
  }
  return success({ kind: 'multipleResource', id: resourceId, type, instances });
}
