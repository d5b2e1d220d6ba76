/** Imports devices into an event store as the CSV import does, through the device decider. */
import { randomUUID } from 'node:crypto';
import { commitDeviceImport } from '../../src/app/devices/DeviceImportCommits.ts';
import { ImportCommits } from '../../src/app/kernel/ImportCommits.ts';
import type { EventStore } from '../../src/adapters/eventstore/EventStore.ts';
import { AggregateCommandRunner } from '../../src/app/kernel/AggregateCommandRunner.ts';
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

/** One runner per store, as the service has one per process: its commands on a stream queue behind each other. */
const runners = new WeakMap<EventStore, AggregateCommandRunner>();

function runnerFor(store: EventStore): AggregateCommandRunner {
  const known = runners.get(store);
  if (known !== undefined) return known;
  const runner = new AggregateCommandRunner({ store });
  runners.set(store, runner);
  return runner;
}

export async function importTestDevice(store: EventStore, endpoint: string, securityMode: SecurityMode = 'NO_SEC'): Promise<void> {
  await importTestRegistration(store, testDeviceData(endpoint, securityMode));
}

/** Imports one registration as a one-row CSV import: staged on the device stream, then committed. */
export async function importTestRegistration(store: EventStore, registration: DeviceRegistrationData): Promise<void> {
  const importId = randomUUID();
  const result = await runnerFor(store).run(
    deviceStream(registration.endpoint),
    deviceRegistrationDecider,
    { type: 'ImportDeviceRegistration', registration, importId, line: 1 },
    { counted: new ImportCommits(store).counted },
  );
  const event = result.events[0];
  if (result.position === undefined || event === undefined) return;
  const imported = event.type === 'DeviceRegistrationImported' ? 1 : 0;
  await commitDeviceImport(store, { importId, firstPosition: result.position, lastPosition: result.position, imported, updated: 1 - imported }, {});
}

/** Decommissions an imported device through the device decider, as an operator's command does. */
export async function decommissionTestDevice(store: EventStore, endpoint: string, reason: string | null = null): Promise<void> {
  await runnerFor(store).run(deviceStream(endpoint), deviceRegistrationDecider, { type: 'DecommissionDevice', endpoint, reason });
}
