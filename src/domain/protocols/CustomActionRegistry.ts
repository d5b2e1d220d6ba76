/**
 * The custom actions the service implements (the guide's "Custom Actions": custom mapping actions,
 * "for example custom decoders for opaque data", chosen from a list). A custom action is named and
 * configured here; `src/domain/telemetry/MappingPolicy.ts` carries it out.
 *
 * - `decodePackedReading`: an Opaque resource holds one packed binary reading, the concatenation of
 *   fixed-size big-endian numbers in a declared layout (see `PackedReading.ts`); each field becomes a
 *   measurement.
 * - `mapToDeviceProperty`: each value of the resource becomes the value of a named device property
 *   (e.g. a vendor's hardware revision resource shown as `hardwareRevision`).
 */
import { DomainError } from '../DomainError.ts';
import type { ResourceModel } from '../lwm2m/ObjectModel.ts';

export type PackedFieldType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export const PACKED_FIELD_SIZES: Readonly<Record<PackedFieldType, number>> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

export interface PackedField {
  readonly type: PackedFieldType;
  readonly measurementType: string;
  readonly series: string;
  readonly unit: string;
  /** The decoded number is multiplied by this (e.g. 0.1 for a temperature sent in tenths of a degree). */
  readonly scale: number;
}

export type CustomActionConfig =
  | { readonly name: 'decodePackedReading'; readonly fields: readonly PackedField[] }
  | { readonly name: 'mapToDeviceProperty'; readonly property: string };

export type CustomActionName = CustomActionConfig['name'];

export const CUSTOM_ACTION_NAMES: readonly CustomActionName[] = ['decodePackedReading', 'mapToDeviceProperty'];

/** A packed reading has at most this many fields: bounds the measurements one value can make. */
export const MAX_PACKED_FIELDS = 32;
/** Types, series, units, texts and property names are at most this long. */
export const MAX_NAME_LENGTH = 128;
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * Throws BAD_USER_INPUT when the action cannot run on this resource or its configuration is incomplete;
 * returns the configuration with exactly its own fields (an API input may carry others).
 */
export function checkCustomAction(action: CustomActionConfig, resource: ResourceModel, path: string): CustomActionConfig {
  // The configuration comes from users through GraphQL: its name may be anything at run time.
  if (!(CUSTOM_ACTION_NAMES as readonly string[]).includes(action.name)) {
    throw new DomainError('BAD_USER_INPUT', `custom action "${action.name}" is not one of ${CUSTOM_ACTION_NAMES.join(', ')}`, { path });
  }
  switch (action.name) {
    case 'decodePackedReading': {
      if (resource.type !== 'opaque') {
        throw new DomainError('BAD_USER_INPUT', `custom action decodePackedReading needs an Opaque resource; ${path} is ${resource.type}`, { path });
      }
      if (action.fields.length === 0 || action.fields.length > MAX_PACKED_FIELDS) {
        throw new DomainError('BAD_USER_INPUT', `custom action decodePackedReading on ${path} needs 1 to ${MAX_PACKED_FIELDS} fields`, { path });
      }
      action.fields.forEach((field, index) => {
        const where = `custom action decodePackedReading on ${path}, field ${index + 1}`;
        if (!Object.hasOwn(PACKED_FIELD_SIZES, field.type)) {
          throw new DomainError('BAD_USER_INPUT', `${where}: type "${field.type}" is not one of ${Object.keys(PACKED_FIELD_SIZES).join(', ')}`, { path });
        }
        checkName(field.measurementType, `${where}: measurement type`, path);
        checkName(field.series, `${where}: series`, path);
        checkLength(field.unit, `${where}: unit`, path);
        if (!Number.isFinite(field.scale) || field.scale === 0) {
          throw new DomainError('BAD_USER_INPUT', `${where}: scale must be a finite number other than 0`, { path });
        }
      });
      return {
        name: 'decodePackedReading',
        fields: action.fields.map((field) => ({
          type: field.type,
          measurementType: field.measurementType,
          series: field.series,
          unit: field.unit,
          scale: field.scale,
        })),
      };
    }
    case 'mapToDeviceProperty':
      if (!PROPERTY_NAME.test(action.property) || action.property.length > MAX_NAME_LENGTH) {
        throw new DomainError(
          'BAD_USER_INPUT',
          `custom action mapToDeviceProperty on ${path}: property "${action.property}" must be letters, digits, "_" and "." (not first), at most ${MAX_NAME_LENGTH} characters`,
          { path },
        );
      }
      return { name: 'mapToDeviceProperty', property: action.property };
  }
}

/** Throws BAD_USER_INPUT unless `value` is 1 to MAX_NAME_LENGTH characters and not only blanks. */
export function checkName(value: string, what: string, path: string): void {
  if (value.trim() === '') throw new DomainError('BAD_USER_INPUT', `${what} is mandatory`, { path });
  checkLength(value, what, path);
}

export function checkLength(value: string, what: string, path: string): void {
  if (value.length > MAX_NAME_LENGTH) throw new DomainError('BAD_USER_INPUT', `${what} is longer than ${MAX_NAME_LENGTH} characters`, { path });
}
