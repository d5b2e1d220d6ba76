/** Registration data and events for projection tests, as the CSV import would append them. */
import type { NewEvent } from '../../src/adapters/eventstore/EventStore.ts';
import type { JsonValue } from '../../src/domain/Json.ts';
import type { DeviceRegistrationData } from '../../src/domain/devices/DeviceEvents.ts';
import type { SealedSecret } from '../../src/domain/SealedSecret.ts';
import { testDeviceData } from '../support/TestDevices.ts';

export const sealedKey: SealedSecret = { sealed: 'AAAAsealedAAAA', fingerprint: 'fpfpfpfp' };

/** A device as the projection tests import it: an IMEI, the shell enabled, a server URI, UQ binding. */
export function registration(endpoint: string, overrides: Partial<DeviceRegistrationData> = {}): DeviceRegistrationData {
  return {
    ...testDeviceData(endpoint),
    externalId: `imei-${endpoint}`,
    idType: 'IMEI',
    shellEnabled: true,
    serverUri: 'coap://127.0.0.1:5683',
    bindingMode: 'UQ',
    ...overrides,
  };
}

export function imported(data: DeviceRegistrationData, line = 2): NewEvent {
  return { type: 'DeviceRegistrationImported', data: json({ registration: data, importId: 'import-1', line }), metadata: { actor: 'user:test', correlationId: 'corr-1' } };
}

export function updated(endpoint: string, changes: Partial<DeviceRegistrationData>): NewEvent {
  return { type: 'DeviceRegistrationUpdated', data: json({ endpoint, changes, importId: 'import-2', line: 2 }), metadata: { actor: 'user:test', correlationId: 'corr-2' } };
}

export function decommissioned(endpoint: string): NewEvent {
  return { type: 'DeviceDecommissioned', data: { endpoint, reason: null }, metadata: { actor: 'user:test', correlationId: 'corr-3' } };
}

/** Event data interfaces are plain JSON; a round trip makes TypeScript see them as such. */
function json(value: object): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
