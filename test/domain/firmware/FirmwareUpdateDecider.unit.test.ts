import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import type { FirmwareUpdateCommand } from '../../../src/domain/firmware/FirmwareUpdateDecider.ts';
import { firmwareUpdateDecider } from '../../../src/domain/firmware/FirmwareUpdateDecider.ts';
import type { FirmwareUpdateEvent, FirmwareUpdateStep } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';

const at = '2026-11-25T08:00:00.000Z';
const requested: FirmwareUpdateEvent = {
  type: 'FirmwareUpdateRequested',
  data: { updateId: 'u1', endpoint: 'dev', firmwareId: 'f1', name: 'app', version: '2.0', method: 'pull', packageUri: 'coap://h/fw/f1', requestedBy: 'user:t', requestedAt: at, deadline: '2026-11-25T08:10:00.000Z' },
};

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
    const { type: _type, ...command } = { ...requested.data, type: 'StartFirmwareUpdate' as const };
    expect(given([]).when({ type: 'StartFirmwareUpdate', ...command })).toEqual([requested]);
  });

  it('refuses a second update while one is under way, and accepts one after it ended', () => {
    const start: FirmwareUpdateCommand = { type: 'StartFirmwareUpdate', ...requested.data, updateId: 'u2' };
    expect(() => given([requested]).when(start)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    const failed: FirmwareUpdateEvent = { type: 'FirmwareUpdateFailed', data: { updateId: 'u1', reason: 'x', updateResult: null, at } };
    expect(given([requested, failed]).when(start)).toHaveLength(1);
  });

  it('refuses a pull without a Package URI and a push with one', () => {
    expect(() => given([]).when({ type: 'StartFirmwareUpdate', ...requested.data, packageUri: null })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => given([]).when({ type: 'StartFirmwareUpdate', ...requested.data, method: 'push' })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
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

  it('succeeds with result success and the new version after Update, in either order', () => {
    const success: FirmwareUpdateEvent = { type: 'FirmwareUpdateSucceeded', data: { updateId: 'u1', version: '2.0', at } };
    expect(given(executed).when(value('/5/0/5', '1'))).toEqual([step('update-reported-success')]);
    expect(given([...executed, step('update-reported-success')]).when(value('/3/0/3', '2.0'))).toEqual([step('new-version-reported'), success]);
    expect(given(executed).when(value('/5/0/7', '2.0'))).toEqual([step('new-version-reported')]);
    expect(given([...executed, step('new-version-reported')]).when(value('/5/0/5', '1'))).toEqual([step('update-reported-success'), success]);
  });

  it('does not take the version before Update, nor another version, as success', () => {
    expect(given(delivering).when(value('/3/0/3', '2.0'))).toEqual([]);
    expect(given(delivering).when(value('/5/0/5', '1'))).toEqual([]);
    expect(given([...executed, step('update-reported-success')]).when(value('/3/0/3', '1.0'))).toEqual([]);
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
