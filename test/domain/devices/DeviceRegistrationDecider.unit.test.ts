import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';
import type { SealedSecret } from '../../../src/domain/SealedSecret.ts';
import type { DeviceEvent, DeviceRegistrationData } from '../../../src/domain/devices/DeviceEvents.ts';
import type { DeviceRegistrationCommand } from '../../../src/domain/devices/DeviceRegistrationDecider.ts';
import { deviceRegistrationDecider } from '../../../src/domain/devices/DeviceRegistrationDecider.ts';

/** A sealed secret as the sealer makes it: a fresh sealed text each time, the fingerprint of the key. */
function sealed(fingerprint: string, sealing = 1): SealedSecret {
  return { sealed: `sealed-${fingerprint}-${sealing}`, fingerprint };
}

const registration: DeviceRegistrationData = {
  endpoint: 'dev-1',
  externalId: 'dev-1',
  idType: 'c8y_Serial',
  name: 'dev-1',
  type: 'c8y_lwm2m',
  shellEnabled: false,
  agent: true,
  serverUri: 'coaps://lwm2m.example.com:5684',
  securityMode: 'PSK',
  lwm2mPskId: 'dev-1',
  lwm2mPskKey: sealed('fp-lwm2m'),
  bootstrapPskId: 'dev-1-bs',
  bootstrapPskKey: sealed('fp-bs'),
  serverPublicKey: null,
  generateBootstrapServerConfig: false,
  securityInstanceOffset: 0,
  bootstrapShortServerId: 0,
  lwm2mShortServerId: 1,
  registrationLifetime: 300,
  defaultMinimumPeriod: null,
  defaultMaximumPeriod: null,
  bindingMode: 'UQ',
  notificationIfDisabled: null,
  disableTimeout: null,
  externalBootstrapPskId: null,
};

function importRow(data: DeviceRegistrationData, importId = 'import-2', line = 5): DeviceRegistrationCommand {
  return { type: 'ImportDeviceRegistration', registration: data, importId, line };
}

const imported: DeviceEvent = { type: 'DeviceRegistrationImported', data: { registration, importId: 'import-1', line: 2, staged: true } };
const decommissioned: DeviceEvent = { type: 'DeviceDecommissioned', data: { endpoint: 'dev-1', reason: 'scrapped' } };

/** given events, when command: the events decided. */
function given(events: readonly DeviceEvent[]): { when: (command: DeviceRegistrationCommand) => DeviceEvent[] } {
  return { when: (command) => deviceRegistrationDecider.decide(command, foldEvents(deviceRegistrationDecider, events)) };
}

function expectDomainError(run: () => unknown, code: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect((caught as DomainError).code).toBe(code);
}

describe('deviceRegistrationDecider', () => {
  it('given no events, importing a row registers the device', () => {
    expect(given([]).when(importRow(registration, 'import-1', 2))).toEqual([imported]);
  });

  it('given the same registration, re-importing decides nothing, even with the keys sealed again', () => {
    const resealed = { ...registration, lwm2mPskKey: sealed('fp-lwm2m', 2), bootstrapPskKey: sealed('fp-bs', 2) };
    expect(given([imported]).when(importRow(resealed))).toEqual([]);
  });

  it('given a registration, a changed row decides an update with only the changed fields', () => {
    const changed = { ...registration, name: 'Boiler', registrationLifetime: 600, lwm2mPskKey: sealed('fp-new', 3), bootstrapPskKey: sealed('fp-bs', 3) };
    expect(given([imported]).when(importRow(changed, 'import-2', 8))).toEqual([
      {
        type: 'DeviceRegistrationUpdated',
        data: { endpoint: 'dev-1', changes: { name: 'Boiler', registrationLifetime: 600, lwm2mPskKey: sealed('fp-new', 3) }, importId: 'import-2', line: 8, staged: true },
      },
    ]);
  });

  it('given an update, the state has the updated fields, so the same row again decides nothing', () => {
    const changed = { ...registration, bindingMode: 'U' as const, lwm2mPskKey: null, securityMode: 'NO_SEC' as const };
    const [update] = given([imported]).when(importRow(changed));
    if (!update) throw new Error('expected an update');
    expect(update.data).toMatchObject({ changes: { bindingMode: 'U', lwm2mPskKey: null, securityMode: 'NO_SEC' } });
    expect(given([imported, update]).when(importRow(changed))).toEqual([]);
    expect(foldEvents(deviceRegistrationDecider, [imported, update])).toEqual({ status: 'active', registration: changed });
  });

  it('given a decommissioned device, importing it registers it again', () => {
    expect(given([imported, decommissioned]).when(importRow(registration, 'import-3', 4))).toEqual([
      { type: 'DeviceRegistrationImported', data: { registration, importId: 'import-3', line: 4, staged: true } },
    ]);
  });

  it('refuses a registration of another endpoint on this device', () => {
    expectDomainError(() => given([imported]).when(importRow({ ...registration, endpoint: 'dev-2' })), 'BAD_USER_INPUT');
  });

  it('given a registered device, decommissioning it decides DeviceDecommissioned', () => {
    expect(given([imported]).when({ type: 'DecommissionDevice', endpoint: 'dev-1', reason: 'scrapped' })).toEqual([decommissioned]);
    expect(foldEvents(deviceRegistrationDecider, [imported, decommissioned])).toEqual({ status: 'decommissioned', registration });
  });

  it('given no events, decommissioning is NOT_FOUND', () => {
    expectDomainError(() => given([]).when({ type: 'DecommissionDevice', endpoint: 'dev-1', reason: null }), 'NOT_FOUND');
  });

  it('given a decommissioned device, decommissioning again is a CONFLICT', () => {
    expectDomainError(() => given([imported, decommissioned]).when({ type: 'DecommissionDevice', endpoint: 'dev-1', reason: null }), 'CONFLICT');
  });
});
