/** fast-check generators of LwM2M values and content, shared by the codec tests. */
import fc from 'fast-check';
import { formatPath, type LwM2mPath } from '../../../../src/domain/lwm2m/LwM2mPath.ts';
import {
  LWM2M_VALUE_TYPES,
  type LwM2mNode,
  type LwM2mValue,
  type LwM2mValueType,
  type ObjectInstanceNode,
  type PathValue,
  type ResourceNode,
} from '../../../../src/domain/lwm2m/LwM2mValue.ts';
import { ALL_TYPES_OBJECT_ID, allTypesResourceId } from './testCatalog.ts';

export interface ValueConstraints {
  /** Leave out NaN and the infinities (JSON and text/plain cannot carry them). */
  readonly finiteFloats?: boolean;
  /** Only these types. */
  readonly types?: readonly LwM2mValueType[];
}

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const objlnkId = fc.integer({ min: 0, max: 65535 });
const safeSeconds = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const id = fc.integer({ min: 0, max: 65534 });

/** A value of the given type (every type when none is given). */
export function lwm2mValueArbitrary(type?: LwM2mValueType, constraints: ValueConstraints = {}): fc.Arbitrary<LwM2mValue> {
  const byType: Record<LwM2mValueType, fc.Arbitrary<LwM2mValue>> = {
    string: fc.string({ unit: 'grapheme' }).map((value) => ({ type: 'string', value })),
    integer: int64.map((value) => ({ type: 'integer', value })),
    unsigned: uint64.map((value) => ({ type: 'unsigned', value })),
    float: fc.double({ noNaN: constraints.finiteFloats === true, noDefaultInfinity: constraints.finiteFloats === true }).map((value) => ({ type: 'float', value })),
    boolean: fc.boolean().map((value) => ({ type: 'boolean', value })),
    opaque: fc.uint8Array({ maxLength: 64 }).map((value) => ({ type: 'opaque', value })),
    time: safeSeconds.map((value) => ({ type: 'time', value })),
    objlnk: fc.tuple(objlnkId, objlnkId).map(([objectId, instanceId]) => ({ type: 'objlnk', value: { objectId, instanceId } })),
    corelnk: fc.string({ unit: 'grapheme' }).map((value) => ({ type: 'corelnk', value })),
  };
  if (type !== undefined) return byType[type];
  return fc.oneof(...(constraints.types ?? LWM2M_VALUE_TYPES).map((each) => byType[each]));
}

function typeArbitrary(constraints: ValueConstraints): fc.Arbitrary<LwM2mValueType> {
  return fc.constantFrom(...(constraints.types ?? LWM2M_VALUE_TYPES));
}

/** A resource of object 9000 (see testCatalog), single or multiple, with at least one instance. */
export function resourceNodeArbitrary(constraints: ValueConstraints = {}): fc.Arbitrary<ResourceNode> {
  return fc.tuple(typeArbitrary(constraints), fc.boolean()).chain(([type, multiple]): fc.Arbitrary<ResourceNode> => {
    const value = lwm2mValueArbitrary(type, constraints);
    if (!multiple) return value.map((each) => ({ kind: 'resource', id: allTypesResourceId(type, false), value: each }));
    return fc
      .uniqueArray(fc.tuple(id, value), { minLength: 1, maxLength: 3, selector: ([instanceId]) => instanceId })
      .map((instances) => ({ kind: 'multipleResource', id: allTypesResourceId(type, true), type, instances: new Map(instances) }));
  });
}

export function instanceNodeArbitrary(constraints: ValueConstraints = {}, instanceId: fc.Arbitrary<number> = id): fc.Arbitrary<ObjectInstanceNode> {
  return fc
    .tuple(instanceId, fc.uniqueArray(resourceNodeArbitrary(constraints), { minLength: 1, maxLength: 4, selector: (resource) => resource.id }))
    .map(([each, resources]) => ({ kind: 'objectInstance', id: each, resources: new Map(resources.map((resource) => [resource.id, resource])) }));
}

export interface Content {
  readonly node: LwM2mNode;
  readonly path: LwM2mPath;
}

/** Content of object 9000 at every level, with the path it answers. */
export function contentArbitrary(constraints: ValueConstraints = {}): fc.Arbitrary<Content> {
  const objectId = ALL_TYPES_OBJECT_ID;
  const object = fc.uniqueArray(instanceNodeArbitrary(constraints), { maxLength: 3, selector: (instance) => instance.id }).map(
    (instances): Content => ({ node: { kind: 'object', id: objectId, instances: new Map(instances.map((instance) => [instance.id, instance])) }, path: { objectId } }),
  );
  const instance = instanceNodeArbitrary(constraints).map((node): Content => ({ node, path: { objectId, instanceId: node.id } }));
  const resource = fc.tuple(id, resourceNodeArbitrary(constraints)).map(([instanceId, node]): Content => ({ node, path: { objectId, instanceId, resourceId: node.id } }));
  return fc.oneof(object, instance, resource, singleValueContentArbitrary(constraints));
}

/** A single resource or a resource instance: what text/plain and opaque carry. */
export function singleValueContentArbitrary(constraints: ValueConstraints = {}): fc.Arbitrary<Content> {
  const objectId = ALL_TYPES_OBJECT_ID;
  return fc.tuple(typeArbitrary(constraints), fc.boolean(), id, id).chain(([type, multiple, instanceId, resourceInstanceId]) =>
    lwm2mValueArbitrary(type, constraints).map((value): Content => {
      const resourceId = allTypesResourceId(type, multiple);
      return multiple
        ? { node: { kind: 'resourceInstance', id: resourceInstanceId, value }, path: { objectId, instanceId, resourceId, resourceInstanceId } }
        : { node: { kind: 'resource', id: resourceId, value }, path: { objectId, instanceId, resourceId } };
    }),
  );
}

/**
 * Values by full path for the composite/Send shape; with `timed`, each may carry an absolute time
 * (at or after 2^28 seconds, as SenML's relative times end there), whole or fractional.
 */
export function entriesArbitrary(constraints: ValueConstraints & { readonly timed: boolean }): fc.Arbitrary<PathValue[]> {
  const time = fc.oneof(fc.integer({ min: 2 ** 28, max: 2 ** 40 }), fc.double({ min: 2 ** 28, max: 2 ** 40, noNaN: true }));
  const entry = fc
    .tuple(typeArbitrary(constraints), fc.boolean(), id, id, fc.option(time, { nil: undefined }))
    .chain(([type, multiple, instanceId, resourceInstanceId, at]) =>
      lwm2mValueArbitrary(type, constraints).map((value): PathValue => {
        const resourceId = allTypesResourceId(type, multiple);
        const path = multiple ? { objectId: ALL_TYPES_OBJECT_ID, instanceId, resourceId, resourceInstanceId } : { objectId: ALL_TYPES_OBJECT_ID, instanceId, resourceId };
        return constraints.timed && at !== undefined ? { path, value, time: at } : { path, value };
      }),
    );
  // Full paths must not collide unless timed (a time series repeats paths): keep them unique, plainly.
  return fc.uniqueArray(entry, { maxLength: 6, selector: (each) => `${formatPath(each.path)}@${String(each.time)}` });
}
