/**
 * A device's registration data over time, on the stream `device-<endpoint>`: imported from a CSV row,
 * updated by later imports, decommissioned by an operator.
 *
 * Importing is idempotent: a row equal to the current registration decides nothing, so a retried or
 * repeated import appends no event. An import's events are staged: they count once the import is
 * committed (StagedImports.ts), so the state folded here must be folded from the events that count. Secrets are compared by their fingerprint (SealedSecret.ts): each
 * sealing has its own IV, so the sealed texts of one key always differ.
 */
import type { Decider } from '../Decider.ts';
import { DomainError } from '../DomainError.ts';
import type { SealedSecret } from '../SealedSecret.ts';
import type { DeviceEvent, DeviceRegistrationData, DeviceRegistrationField } from './DeviceEvents.ts';

export type DeviceRegistrationState =
  | { readonly status: 'unknown' }
  | { readonly status: 'active' | 'decommissioned'; readonly registration: DeviceRegistrationData };

export type DeviceRegistrationCommand =
  | {
      readonly type: 'ImportDeviceRegistration';
      /** The row's data, its PSK keys already sealed. */
      readonly registration: DeviceRegistrationData;
      readonly importId: string;
      readonly line: number;
    }
  | { readonly type: 'DecommissionDevice'; readonly endpoint: string; readonly reason: string | null };

/** Every field of the registration, checked complete by the compiler through `satisfies`. */
const registrationFields = Object.keys({
  endpoint: true,
  externalId: true,
  idType: true,
  name: true,
  type: true,
  shellEnabled: true,
  agent: true,
  serverUri: true,
  securityMode: true,
  lwm2mPskId: true,
  lwm2mPskKey: true,
  bootstrapPskId: true,
  bootstrapPskKey: true,
  serverPublicKey: true,
  publicKey: true,
  certificate: true,
  generateBootstrapServerConfig: true,
  securityInstanceOffset: true,
  bootstrapShortServerId: true,
  lwm2mShortServerId: true,
  registrationLifetime: true,
  defaultMinimumPeriod: true,
  defaultMaximumPeriod: true,
  bindingMode: true,
  notificationIfDisabled: true,
  disableTimeout: true,
  externalBootstrapPskId: true,
} satisfies Record<DeviceRegistrationField, true>) as DeviceRegistrationField[];

type RegistrationValue = DeviceRegistrationData[DeviceRegistrationField];

function isSealedSecret(value: RegistrationValue): value is SealedSecret {
  return typeof value === 'object' && value !== null;
}

function sameValue(a: RegistrationValue, b: RegistrationValue): boolean {
  if (isSealedSecret(a) && isSealedSecret(b)) return a.fingerprint === b.fingerprint;
  return a === b;
}

/**
 * The fields of `next` that differ from `current`, with their new values. An optional field that is
 * absent counts as null, and a removed one is recorded as null (an absent change would not be one).
 */
export function registrationChanges(current: DeviceRegistrationData, next: DeviceRegistrationData): Partial<DeviceRegistrationData> {
  const changes: Partial<Record<DeviceRegistrationField, RegistrationValue>> = {};
  for (const field of registrationFields) {
    const value = next[field] ?? null;
    if (!sameValue(current[field] ?? null, value)) changes[field] = value;
  }
  return changes as Partial<DeviceRegistrationData>;
}

export const deviceRegistrationDecider: Decider<DeviceRegistrationCommand, DeviceEvent, DeviceRegistrationState> = {
  initialState: { status: 'unknown' },

  decide(command, state) {
    switch (command.type) {
      case 'ImportDeviceRegistration': {
        const { registration, importId, line } = command;
        if (state.status !== 'active') {
          return [{ type: 'DeviceRegistrationImported', data: { registration, importId, line, staged: true } }];
        }
        if (registration.endpoint !== state.registration.endpoint) {
          throw new DomainError('BAD_USER_INPUT', `a registration for "${registration.endpoint}" cannot change device "${state.registration.endpoint}"`, {
            endpoint: state.registration.endpoint,
          });
        }
        const changes = registrationChanges(state.registration, registration);
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'DeviceRegistrationUpdated', data: { endpoint: registration.endpoint, changes, importId, line, staged: true } }];
      }
      case 'DecommissionDevice': {
        if (state.status === 'unknown') {
          throw new DomainError('NOT_FOUND', `no device is registered with endpoint "${command.endpoint}"`, { endpoint: command.endpoint });
        }
        if (state.status === 'decommissioned') {
          throw new DomainError('CONFLICT', `device "${command.endpoint}" is already decommissioned`, { endpoint: command.endpoint });
        }
        return [{ type: 'DeviceDecommissioned', data: { endpoint: command.endpoint, reason: command.reason } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'DeviceRegistrationImported':
        return { status: 'active', registration: event.data.registration };
      case 'DeviceRegistrationUpdated':
        // An update only ever follows an import on the same stream.
        if (state.status === 'unknown') return state;
        return { status: state.status, registration: { ...state.registration, ...event.data.changes } };
      case 'DeviceDecommissioned':
        if (state.status === 'unknown') return state;
        return { status: 'decommissioned', registration: state.registration };
    }
  },
};
