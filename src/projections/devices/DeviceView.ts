/**
 * A device as the API shows it: its registration data as imported, with each secret replaced by
 * whether it is set, its status, and when it was created and last changed.
 */
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';

export type DeviceStatus = 'active' | 'decommissioned';

export type RedactedRegistration = Omit<DeviceRegistrationData, 'lwm2mPskKey' | 'bootstrapPskKey'> & {
  readonly lwm2mPskKeySet: boolean;
  readonly bootstrapPskKeySet: boolean;
};

export type DeviceView = RedactedRegistration & {
  readonly status: DeviceStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** The revision of the device's registration stream that this view reflects. */
  readonly revision: number;
  /** The global position of the last event folded into this view. */
  readonly position: number;
};

export function redactRegistration(registration: DeviceRegistrationData): RedactedRegistration {
  const { lwm2mPskKey, bootstrapPskKey, ...rest } = registration;
  return { ...rest, lwm2mPskKeySet: lwm2mPskKey !== null, bootstrapPskKeySet: bootstrapPskKey !== null };
}

/** An update's changed fields, each secret replaced by whether it is set. */
export function redactRegistrationChanges(changes: Partial<DeviceRegistrationData>): Partial<RedactedRegistration> {
  const { lwm2mPskKey, bootstrapPskKey, ...rest } = changes;
  return {
    ...rest,
    ...(lwm2mPskKey !== undefined ? { lwm2mPskKeySet: lwm2mPskKey !== null } : {}),
    ...(bootstrapPskKey !== undefined ? { bootstrapPskKeySet: bootstrapPskKey !== null } : {}),
  };
}
