/** Imports devices into an event store as the CSV import does, through the device decider. */
import type { EventStore } from '../../src/adapters/eventstore/EventStore.ts';
import { handleCommand } from '../../src/adapters/eventstore/CommandHandler.ts';
import { deviceRegistrationDecider } from '../../src/domain/devices/DeviceRegistrationDecider.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import type { DeviceRegistrationData, SecurityMode } from '../../src/domain/devices/DeviceEvents.ts';

export function testDeviceData(endpoint: string, securityMode: SecurityMode = 'NO_SEC'): DeviceRegistrationData {
  return {
    endpoint,
    externalId: `ext-${endpoint}`,
    idType: 'serial',
    name: endpoint,
    type: 'c8y_lwm2m',
    shellEnabled: false,
    agent: true,
    serverUri: null,
    securityMode,
    lwm2mPskId: securityMode === 'PSK' ? endpoint : null,
    lwm2mPskKey: null,
    bootstrapPskId: null,
    bootstrapPskKey: null,
    serverPublicKey: null,
    generateBootstrapServerConfig: false,
    securityInstanceOffset: 0,
    bootstrapShortServerId: 0,
    lwm2mShortServerId: 1,
    registrationLifetime: null,
    defaultMinimumPeriod: null,
    defaultMaximumPeriod: null,
    bindingMode: 'U',
    notificationIfDisabled: null,
    disableTimeout: null,
    externalBootstrapPskId: null,
  };
}

export async function importTestDevice(store: EventStore, endpoint: string, securityMode: SecurityMode = 'NO_SEC'): Promise<void> {
  await handleCommand(store, deviceStream(endpoint), deviceRegistrationDecider, {
    type: 'ImportDeviceRegistration',
    registration: testDeviceData(endpoint, securityMode),
    importId: 'test-import',
    line: 1,
  });
}
