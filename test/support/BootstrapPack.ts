/**
 * A test device's side of Bootstrap-Pack (LwM2M Core 1.2 section 6.1.7): the SenML CBOR pack decoded
 * with cbor-x (independently of the server's codecs) and every record written into the instance its
 * full path names, as a Bootstrap-Write of that resource would.
 */
import { Decoder } from 'cbor-x';
import type { LwM2mValue, ObjectInstanceNode } from '../../src/domain/lwm2m/LwM2mValue.ts';

/** Writes each SenML record (RFC 8428 labels: bn -2, n 0, v 2, vs 3, vb 4, vd 8) into `objects`, by object then instance id. */
export function applyBootstrapPack(objects: Map<number, Map<number, ObjectInstanceNode>>, payload: Uint8Array): void {
  const records = new Decoder({ mapsAsObjects: false, useRecords: false }).decode(payload) as Map<number, unknown>[];
  let baseName = '';
  for (const record of records) {
    const base = record.get(-2);
    if (typeof base === 'string') baseName = base;
    const name = record.get(0);
    const [objectId, instanceId, resourceId] = `${baseName}${typeof name === 'string' ? name : ''}`.split('/').filter((part) => part !== '').map(Number);
    if (objectId === undefined || instanceId === undefined || resourceId === undefined) throw new Error(`pack record ${baseName}${String(name)} names no resource`);
    const instances = objects.get(objectId);
    if (!instances) throw new Error(`the pack writes object ${objectId}, not a bootstrap object`);
    const instance = instances.get(instanceId) ?? { kind: 'objectInstance', id: instanceId, resources: new Map() };
    const resources = new Map(instance.resources);
    resources.set(resourceId, { kind: 'resource', id: resourceId, value: packValue(record) });
    instances.set(instanceId, { ...instance, resources });
  }
}

/** A SenML record's value, typed as objects 0 and 1 type those labels' resources (numbers there are integers). */
function packValue(record: Map<number, unknown>): LwM2mValue {
  const number = record.get(2);
  if (typeof number === 'number') return { type: 'integer', value: BigInt(number) };
  const text = record.get(3);
  if (typeof text === 'string') return { type: 'string', value: text };
  const flag = record.get(4);
  if (typeof flag === 'boolean') return { type: 'boolean', value: flag };
  const bytes = record.get(8);
  if (bytes instanceof Uint8Array) return { type: 'opaque', value: Uint8Array.from(bytes) };
  throw new Error('a pack record without a value');
}
