/** fast-check generators of LwM2M values and content, shared by the codec tests. */
import fc from 'fast-check';
import type { LwM2mValue, LwM2mValueType } from '../../../../src/domain/lwm2m/LwM2mValue.ts';

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const objlnkId = fc.integer({ min: 0, max: 65535 });
const safeSeconds = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

/** A value of the given type (every type when none is given). */
export function lwm2mValueArbitrary(type?: LwM2mValueType): fc.Arbitrary<LwM2mValue> {
  const byType: Record<LwM2mValueType, fc.Arbitrary<LwM2mValue>> = {
    string: fc.string({ unit: 'grapheme' }).map((value) => ({ type: 'string', value })),
    integer: int64.map((value) => ({ type: 'integer', value })),
    unsigned: uint64.map((value) => ({ type: 'unsigned', value })),
    float: fc.double().map((value) => ({ type: 'float', value })),
    boolean: fc.boolean().map((value) => ({ type: 'boolean', value })),
    opaque: fc.uint8Array({ maxLength: 64 }).map((value) => ({ type: 'opaque', value })),
    time: safeSeconds.map((value) => ({ type: 'time', value })),
    objlnk: fc.tuple(objlnkId, objlnkId).map(([objectId, instanceId]) => ({ type: 'objlnk', value: { objectId, instanceId } })),
    corelnk: fc.string({ unit: 'grapheme' }).map((value) => ({ type: 'corelnk', value })),
  };
  return type === undefined ? fc.oneof(...Object.values(byType)) : byType[type];
}
