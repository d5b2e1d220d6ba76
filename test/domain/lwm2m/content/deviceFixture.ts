/** The Device object instance of the spec's data-format examples (Core 1.1 section 7.4), as a node. */
import type { LwM2mValue, ObjectInstanceNode, ResourceNode } from '../../../../src/domain/lwm2m/LwM2mValue.ts';

export const str = (value: string): LwM2mValue => ({ type: 'string', value });
export const int = (value: bigint): LwM2mValue => ({ type: 'integer', value });
export const single = (id: number, value: LwM2mValue): ResourceNode => ({ kind: 'resource', id, value });
export const multiple = (id: number, type: LwM2mValue['type'], values: [number, LwM2mValue][]): ResourceNode => ({
  kind: 'multipleResource',
  id,
  type,
  instances: new Map(values),
});
export const instance = (id: number, resources: ResourceNode[]): ObjectInstanceNode => ({
  kind: 'objectInstance',
  id,
  resources: new Map(resources.map((resource) => [resource.id, resource])),
});

export const DEVICE_INSTANCE = instance(0, [
  single(0, str('Open Mobile Alliance')),
  single(1, str('Lightweight M2M Client')),
  single(2, str('345000123')),
  single(3, str('1.0')),
  multiple(6, 'integer', [[0, int(1n)], [1, int(5n)]]),
  multiple(7, 'integer', [[0, int(3800n)], [1, int(5000n)]]),
  multiple(8, 'integer', [[0, int(125n)], [1, int(900n)]]),
  single(9, int(100n)),
  single(10, int(15n)),
  multiple(11, 'integer', [[0, int(0n)]]),
  single(13, { type: 'time', value: 1367491215 }),
  single(14, str('+02:00')),
  single(16, str('U')),
]);
