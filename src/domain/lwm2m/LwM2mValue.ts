/**
 * Typed LwM2M values (the data types of LwM2M Core 1.1, Appendix C) and the content model that the
 * content-format codecs read and write.
 *
 * Integers are `bigint`: LwM2M integers are signed 64-bit and unsigned integers (1.1) go up to 2^64-1
 * (Core 1.1 Appendix C); a `number` would silently round anything beyond 2^53. The codecs, the shell
 * and GraphQL therefore never lose a digit; events carry integers as decimal text (see
 * `LwM2mValueJson.ts`).
 *
 * Time is a `number` of whole seconds since the Unix epoch: the spec's Time is a signed integer of
 * seconds (Appendix C); every value a device can mean fits in a safe integer, and decoders refuse
 * anything outside `Number.MIN_SAFE_INTEGER..MAX_SAFE_INTEGER`.
 */
import type { ResourceType } from './ObjectModel.ts';
import type { LwM2mPath } from './LwM2mPath.ts';

/** The types a value can have: every resource type except 'none' (executable resources hold none). */
export type LwM2mValueType = Exclude<ResourceType, 'none'>;

export const LWM2M_VALUE_TYPES: readonly LwM2mValueType[] = [
  'string',
  'integer',
  'unsigned',
  'float',
  'boolean',
  'opaque',
  'time',
  'objlnk',
  'corelnk',
];

/** Object link (Appendix C "Objlnk"): 65535:65535 is the spec's "no link" value. */
export interface ObjectLink {
  readonly objectId: number;
  readonly instanceId: number;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
/** Objlnk halves are 16-bit unsigned (Appendix C). */
export const OBJLNK_ID_MAX = 65535;

export type LwM2mValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'integer'; readonly value: bigint }
  | { readonly type: 'unsigned'; readonly value: bigint }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'opaque'; readonly value: Uint8Array }
  | { readonly type: 'time'; readonly value: number }
  | { readonly type: 'objlnk'; readonly value: ObjectLink }
  | { readonly type: 'corelnk'; readonly value: string };

/** The value of one type, e.g. `LwM2mValueOf<'integer'>` is `{ type: 'integer'; value: bigint }`. */
export type LwM2mValueOf<T extends LwM2mValueType> = Extract<LwM2mValue, { readonly type: T }>;

// Constructors: short and typed, so that call sites read `integerValue(12n)`.
export const stringValue = (value: string): LwM2mValue => ({ type: 'string', value });
export const integerValue = (value: bigint): LwM2mValue => ({ type: 'integer', value });
export const unsignedValue = (value: bigint): LwM2mValue => ({ type: 'unsigned', value });
export const floatValue = (value: number): LwM2mValue => ({ type: 'float', value });
export const booleanValue = (value: boolean): LwM2mValue => ({ type: 'boolean', value });
export const opaqueValue = (value: Uint8Array): LwM2mValue => ({ type: 'opaque', value });
export const timeValue = (value: number): LwM2mValue => ({ type: 'time', value });
export const objlnkValue = (objectId: number, instanceId: number): LwM2mValue => ({
  type: 'objlnk',
  value: { objectId, instanceId },
});
export const corelnkValue = (value: string): LwM2mValue => ({ type: 'corelnk', value });

/**
 * The content of a Read/Write/Notify payload, by the level of the path it answers (Core 1.1 section
 * 7.4: a format carries a resource instance, a resource, an object instance or an object).
 */
export interface SingleResourceNode {
  readonly kind: 'resource';
  readonly id: number;
  readonly value: LwM2mValue;
}

/** A multiple-instance resource; `type` is kept so that an empty resource still has one. */
export interface MultipleResourceNode {
  readonly kind: 'multipleResource';
  readonly id: number;
  readonly type: LwM2mValueType;
  readonly instances: ReadonlyMap<number, LwM2mValue>;
}

export interface ResourceInstanceNode {
  readonly kind: 'resourceInstance';
  readonly id: number;
  readonly value: LwM2mValue;
}

export type ResourceNode = SingleResourceNode | MultipleResourceNode;

export interface ObjectInstanceNode {
  readonly kind: 'objectInstance';
  readonly id: number;
  readonly resources: ReadonlyMap<number, ResourceNode>;
}

export interface ObjectNode {
  readonly kind: 'object';
  readonly id: number;
  readonly instances: ReadonlyMap<number, ObjectInstanceNode>;
}

export type LwM2mNode = ObjectNode | ObjectInstanceNode | ResourceNode | ResourceInstanceNode;

/**
 * One entry of the flat "path -> value" shape of SenML (RFC 8428) and LwM2M JSON: the payload of
 * Read-Composite, Write-Composite, Observe-Composite and Send (Core 1.1 sections 6.3, 6.4 and 7.4.5).
 * `path` names a resource or a resource instance. `time` is the device's time of the value in seconds
 * since the epoch (SenML times may be fractional), absent when the device gave none.
 */
export interface PathValue {
  readonly path: LwM2mPath;
  readonly value: LwM2mValue;
  readonly time?: number;
}

/** Two values are equal when their types and contents are (opaque bytes compared byte by byte). */
export function valuesEqual(a: LwM2mValue, b: LwM2mValue): boolean {
  switch (a.type) {
    case 'opaque':
      return b.type === 'opaque' && a.value.length === b.value.length && a.value.every((byte, i) => byte === b.value[i]);
    case 'objlnk':
      return b.type === 'objlnk' && a.value.objectId === b.value.objectId && a.value.instanceId === b.value.instanceId;
    case 'float':
      return b.type === 'float' && Object.is(a.value, b.value);
    case 'string':
    case 'integer':
    case 'unsigned':
    case 'boolean':
    case 'time':
    case 'corelnk':
      return a.type === b.type && a.value === b.value;
  }
}
