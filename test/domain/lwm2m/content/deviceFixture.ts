/** The Device object instance of the spec's data-format examples (Core 1.1 section 7.4), as a node. */
import type { LwM2mValue, ObjectInstanceNode, ResourceNode } from '../../../../src/domain/lwm2m/LwM2mValue.ts';
import { hex } from './testCatalog.ts';

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

/** Read /3/0 in TLV, the Device object instance as resource TLVs (Core 1.1 section 7.4.3, example 1). */
export const DEVICE_RESOURCES_TLV = hex(`
  C8 00 14 4F70656E204D6F62696C6520416C6C69616E6365
  C8 01 16 4C69676874776569676874204D324D20436C69656E74
  C8 02 09 333435303030313233
  C3 03 312E30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0ED8 42 01 1388
  87 08 41 00 7D 42 01 0384
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 5182428F
  C6 0E 2B30323A3030
  C1 10 55`);
