/** The readable result of a shell line, from its operation (or firmware update) as the read models have it. */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../src/domain/Json.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { firmwareUpdateResultText, shellResultText } from '../../../src/app/shell/ShellResultText.ts';
import type { FirmwareUpdateView } from '../../../src/projections/firmware/FirmwareQueries.ts';
import type { OperationStatus, OperationView } from '../../../src/projections/operations/OperationQueries.ts';

const naming = { catalog: coreObjectCatalog(), deviceObjects: new Map([[3, '1.0']]) };

function view(kind: string, status: OperationStatus, result: JsonValue | null = null, extra: Partial<OperationView> = {}): OperationView {
  return {
    operationId: 'op-1',
    endpoint: 'dev',
    kind,
    paths: ['/3/0'],
    content: null,
    status,
    requestedBy: 'user:t',
    correlationId: 'c',
    requestedAt: new Date(0),
    sentAt: null,
    completedAt: null,
    attempts: 1,
    responseCode: status === 'succeeded' ? '2.05' : null,
    result,
    reason: null,
    ...extra,
  };
}

describe('shellResultText', () => {
  it('names read values by the model, with units and resource instances', () => {
    const result = {
      contentFormat: 110,
      values: [
        { path: '/3/0/0', type: 'string', text: 'Acme' },
        { path: '/3/0/7/1', type: 'integer', text: '3300' },
        { path: '/3/0/9', type: 'integer', text: '87' },
        { path: '/3/0/999', type: 'integer', text: '1' },
      ],
    };
    expect(shellResultText(view('read', 'succeeded', result), naming)).toBe('/3/0/0 Manufacturer = Acme\n/3/0/7/1 Power Source Voltage[1] = 3300 mV\n/3/0/9 Battery Level = 87 %\n/3/0/999 = 1');
    expect(shellResultText(view('read', 'succeeded', { values: [] }), naming)).toBe('no values');
  });

  it('shows discovered links with their attributes and names, and the created location', () => {
    const links: JsonValue = { links: [{ target: '/3/0', attributes: {} }, { target: '/3/0/9', attributes: { pmin: '10', dim: null } }] };
    expect(shellResultText(view('discover', 'succeeded', links), naming)).toBe('</3/0> Device\n</3/0/9>;pmin=10;dim Battery Level');
    expect(shellResultText(view('create', 'succeeded', { location: '/3303/1' }, { responseCode: '2.01' }), naming)).toBe('created /3303/1 (2.01)');
  });

  it('says why an operation failed, was cancelled or waits, and nothing while it is under way', () => {
    expect(shellResultText(view('read', 'failed', null, { reason: 'the device answered 4.04 Not Found', responseCode: '4.04' }), naming)).toBe('the device answered 4.04 Not Found');
    expect(shellResultText(view('read', 'cancelled', null, { reason: 'not needed' }), naming)).toBe('cancelled: not needed');
    expect(shellResultText(view('read', 'pending', null, { reason: 'attempt 1 timed out' }), naming)).toBe('waiting for the device: attempt 1 timed out');
    expect(shellResultText(view('read', 'pending'), naming)).toBeNull();
    expect(shellResultText(view('read', 'sent'), naming)).toBeNull();
    expect(shellResultText(undefined, naming)).toBeNull();
  });

  it('confirms writes, executes, deletes and cancelled observations with the response code', () => {
    expect(shellResultText(view('write-replace', 'succeeded', null, { responseCode: '2.04' }), naming)).toBe('written (2.04)');
    expect(shellResultText(view('execute', 'succeeded', null, { responseCode: '2.04' }), naming)).toBe('executed (2.04)');
    expect(shellResultText(view('delete', 'succeeded', null, { responseCode: '2.02' }), naming)).toBe('deleted (2.02)');
    expect(shellResultText(view('cancel-observation', 'succeeded'), naming)).toBe('observation cancelled (2.05)');
    expect(shellResultText(view('cancel-observation', 'succeeded', null, { responseCode: null }), naming)).toBe('observation forgotten: its next notification is answered with a Reset');
  });

  it('gives a fwupdate line its firmware update\'s step, success or failure', () => {
    const update = (extra: Partial<FirmwareUpdateView>): FirmwareUpdateView => ({
      updateId: 'u-1',
      endpoint: 'dev',
      firmwareId: 'f-1',
      name: 'app',
      version: '2.0',
      method: 'push',
      packageUri: null,
      status: 'running',
      step: null,
      steps: [],
      reason: null,
      updateResult: null,
      reportedVersion: null,
      requestedBy: 'user:t',
      requestedAt: new Date(0),
      deadline: new Date(60_000),
      endedAt: null,
      ...extra,
    });
    expect(firmwareUpdateResultText(undefined)).toBeNull();
    expect(firmwareUpdateResultText(update({}))).toBeNull();
    expect(firmwareUpdateResultText(update({ step: 'delivering-package' }))).toBe('firmware update to app 2.0 (push): delivering-package');
    expect(firmwareUpdateResultText(update({ status: 'succeeded', step: 'update-reported-success' }))).toBe('firmware update to app 2.0: succeeded');
    expect(firmwareUpdateResultText(update({ status: 'failed', reason: 'out of storage space', updateResult: 2 }))).toBe('firmware update to app 2.0: failed: out of storage space');
  });
});
