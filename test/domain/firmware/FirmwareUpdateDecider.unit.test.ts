import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import type { FirmwareUpdateCommand } from '../../../src/domain/firmware/FirmwareUpdateDecider.ts';
import { firmwareUpdateDecider } from '../../../src/domain/firmware/FirmwareUpdateDecider.ts';
import type { FirmwareUpdateEvent, FirmwareUpdateStep } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';

const at = '2026-11-25T08:00:00.000Z';
const request = { updateId: 'u1', endpoint: 'dev', firmwareId: 'f1', name: 'app', version: '2.0', method: 'pull', packageUri: 'coap://h/fw/f1', packageAccess: null, requestedBy: 'user:t', requestedAt: at, deadline: '2026-11-25T08:10:00.000Z' } as const;
const requested: FirmwareUpdateEvent = { type: 'FirmwareUpdateRequested', data: request };

function step(name: FirmwareUpdateStep): FirmwareUpdateEvent {
  return { type: 'FirmwareUpdateProgressed', data: { updateId: 'u1', step: name, at } };
}

function given(events: readonly FirmwareUpdateEvent[]) {
  return {
    when(command: FirmwareUpdateCommand) {
      return firmwareUpdateDecider.decide(command, foldEvents(firmwareUpdateDecider, events));
    },
  };
}

function value(path: string, text: string): FirmwareUpdateCommand {
  return { type: 'ReportFirmwareValue', updateId: 'u1', path, text, at };
}

const delivering = [requested, step('observing'), step('delivering-package'), step('package-delivered')];
const executed = [...delivering, step('downloaded'), step('update-executed')];

describe('firmware update decider', () => {
  it('starts an update on a device without one', () => {
    const { type: _type, ...command } = { ...request, type: 'StartFirmwareUpdate' as const };
    expect(given([]).when({ type: 'StartFirmwareUpdate', ...command })).toEqual([requested]);
  });

  it('refuses a second update while one is under way, and accepts one after it ended', () => {
    const start: FirmwareUpdateCommand = { type: 'StartFirmwareUpdate', ...request, updateId: 'u2' };
    expect(() => given([requested]).when(start)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    const failed: FirmwareUpdateEvent = { type: 'FirmwareUpdateFailed', data: { updateId: 'u1', reason: 'x', updateResult: null, at } };
    expect(given([requested, failed]).when(start)).toHaveLength(1);
  });

  it('refuses a pull without a Package URI and a push with one', () => {
    expect(() => given([]).when({ type: 'StartFirmwareUpdate', ...request, packageUri: null })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => given([]).when({ type: 'StartFirmwareUpdate', ...request, method: 'push' })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('records each step once', () => {
    expect(given([requested]).when({ type: 'RecordFirmwareUpdateStep', updateId: 'u1', step: 'observing', at })).toEqual([step('observing')]);
    expect(given([requested, step('observing')]).when({ type: 'RecordFirmwareUpdateStep', updateId: 'u1', step: 'observing', at })).toEqual([]);
  });

  it('takes State 2 as downloaded only once the package is being delivered', () => {
    expect(given([requested, step('observing')]).when(value('/5/0/3', '2'))).toEqual([]);
    expect(given(delivering).when(value('/5/0/3', '2'))).toEqual([step('downloaded')]);
    expect(given(delivering).when(value('/5/0/3', '1'))).toEqual([]);
  });

  it('fails with the meaning of the Update Result, ignoring a former attempt\'s result', () => {
    expect(given([requested, step('observing')]).when(value('/5/0/5', '5'))).toEqual([]);
    expect(given(delivering).when(value('/5/0/5', '5'))).toEqual([
      { type: 'FirmwareUpdateFailed', data: { updateId: 'u1', reason: 'integrity check failure for new downloaded package', updateResult: 5, at } },
    ]);
    expect(given(delivering).when(value('/5/0/5', '7'))[0]).toMatchObject({ data: { reason: 'invalid URI', updateResult: 7 } });
    expect(given(delivering).when(value('/5/0/5', '0'))).toEqual([]);
  });

  it('succeeds on Update Result 1 after Update, recording the version the device then reports beside the label', () => {
    const reported = [...executed, step('update-reported-success')];
    expect(given(executed).when(value('/5/0/5', '1'))).toEqual([step('update-reported-success')]);
    expect(given(reported).when(value('/5/0/5', '1'))).toEqual([]);
    expect(given(reported).when(value('/3/0/3', '2.0'))).toEqual([{ type: 'FirmwareUpdateSucceeded', data: { updateId: 'u1', version: '2.0', reportedVersion: '2.0', at } }]);
    expect(given(reported).when(value('/3/0/3', 'v2.0.0-build.17'))).toEqual([
      { type: 'FirmwareUpdateSucceeded', data: { updateId: 'u1', version: '2.0', reportedVersion: 'v2.0.0-build.17', at } },
    ]);
    expect(given(reported).when({ type: 'ReportFirmwareVersionUnreadable', updateId: 'u1', reason: 'the device answered 4.04 Not Found', at })).toEqual([
      { type: 'FirmwareUpdateSucceeded', data: { updateId: 'u1', version: '2.0', reportedVersion: null, at } },
    ]);
  });

  it('takes neither Update Result 1 before Update nor a version before the device reported success', () => {
    expect(given(delivering).when(value('/5/0/5', '1'))).toEqual([]);
    expect(given(delivering).when(value('/3/0/3', '2.0'))).toEqual([]);
    expect(given(executed).when(value('/3/0/3', '2.0'))).toEqual([]);
    expect(given(executed).when({ type: 'ReportFirmwareVersionUnreadable', updateId: 'u1', reason: 'x', at })).toEqual([]);
  });

  it('refuses a package access token on a push', () => {
    const sealed = { sealed: 'AAAA', fingerprint: 'BBBB' };
    expect(() => given([]).when({ type: 'StartFirmwareUpdate', ...request, method: 'push', packageUri: null, packageAccess: sealed })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('fails on its deadline, saying how far it got', () => {
    expect(given(delivering).when({ type: 'CheckFirmwareUpdateDeadline', updateId: 'u1', now: '2026-11-25T08:09:59.999Z' })).toEqual([]);
    expect(given(delivering).when({ type: 'CheckFirmwareUpdateDeadline', updateId: 'u1', now: '2026-11-25T08:10:00.000Z' })).toEqual([
      { type: 'FirmwareUpdateFailed', data: { updateId: 'u1', reason: 'timed out after step package-delivered', updateResult: null, at: '2026-11-25T08:10:00.000Z' } },
    ]);
  });

  it('ignores commands about an ended or another update', () => {
    const failed: FirmwareUpdateEvent = { type: 'FirmwareUpdateFailed', data: { updateId: 'u1', reason: 'x', updateResult: null, at } };
    expect(given([...delivering, failed]).when(value('/5/0/5', '5'))).toEqual([]);
    expect(given(delivering).when({ type: 'FailFirmwareUpdate', updateId: 'other', reason: 'x', at })).toEqual([]);
    expect(given(delivering).when({ type: 'FailFirmwareUpdate', updateId: 'u1', reason: 'the device answered 4.04', at })[0]).toMatchObject({ type: 'FirmwareUpdateFailed' });
  });
});
