/**
 * The firmware update process of one device (LwM2M Core 1.1 Appendix E.6). One update at a
 * time per device. The process runner records what it did (steps) and hands over every value the
 * device reports for object 5 and /3/0/3; this decider says what they mean:
 * - State /5/0/3 = 2 (Downloaded): the package is there, Update /5/0/2 may be executed;
 * - Update Result /5/0/5 >= 2, once the package is being delivered: the update failed, in words;
 * - after Update was executed, Update Result 1 ("Firmware updated successfully", Core 1.1 E.6): the
 *   update succeeded, whether or not the device registered again in between; the Firmware Version
 *   /3/0/3 the device reports next is recorded beside the operator's label, and completes it. Devices
 *   often report a version string that is not the label: a difference is shown, never a failure.
 * A command about an update that has ended, or another one, decides nothing: reports arrive late.
 */
import type { Decider } from '../Decider.ts';
import { DomainError } from '../DomainError.ts';
import type { FirmwareUpdateEvent, FirmwareUpdateRequested, FirmwareUpdateStep } from './FirmwareUpdateEvents.ts';
import { firmwareState, updateResultFailure, updateResultSuccess } from './FirmwareUpdateResult.ts';

export type FirmwareUpdateCommand =
  // The request as it will be recorded; a new one always says whether it carries a package access token.
  | ({ readonly type: 'StartFirmwareUpdate' } & Required<FirmwareUpdateRequested>)
  | { readonly type: 'RecordFirmwareUpdateStep'; readonly updateId: string; readonly step: FirmwareUpdateStep; readonly at: string }
  /** A value the device reported, as text ("2"), for /5/0/3, /5/0/5 or /3/0/3; other paths are ignored. */
  | { readonly type: 'ReportFirmwareValue'; readonly updateId: string; readonly path: string; readonly text: string; readonly at: string }
  /** The device reported success but its Firmware Version /3/0/3 could not be read: success without it. */
  | { readonly type: 'ReportFirmwareVersionUnreadable'; readonly updateId: string; readonly reason: string; readonly at: string }
  | { readonly type: 'FailFirmwareUpdate'; readonly updateId: string; readonly reason: string; readonly at: string }
  | { readonly type: 'CheckFirmwareUpdateDeadline'; readonly updateId: string; readonly now: string };

export interface ActiveFirmwareUpdate {
  readonly request: FirmwareUpdateRequested;
  readonly steps: readonly FirmwareUpdateStep[];
}

export interface FirmwareUpdateState {
  /** The update under way; undefined when none is. */
  readonly active: ActiveFirmwareUpdate | undefined;
}

export class FirmwareUpdateError extends DomainError {}

export const firmwareUpdateDecider: Decider<FirmwareUpdateCommand, FirmwareUpdateEvent, FirmwareUpdateState> = {
  initialState: { active: undefined },

  decide(command, state) {
    if (command.type === 'StartFirmwareUpdate') {
      if (state.active) throw new FirmwareUpdateError('CONFLICT', `${command.endpoint} is already updating to ${state.active.request.name} ${state.active.request.version}`, { updateId: state.active.request.updateId });
      if ((command.method === 'pull') !== (command.packageUri !== null)) throw new FirmwareUpdateError('BAD_USER_INPUT', 'a pull needs a Package URI and a push none');
      if (command.packageAccess !== null && command.method !== 'pull') throw new FirmwareUpdateError('BAD_USER_INPUT', 'only a pull carries a package access token');
      const { type: _type, ...data } = command;
      return [{ type: 'FirmwareUpdateRequested', data }];
    }
    const active = state.active;
    if (!active || active.request.updateId !== command.updateId) return [];
    switch (command.type) {
      case 'RecordFirmwareUpdateStep':
        return progressed(active, command.step, command.at);
      case 'ReportFirmwareValue':
        return report(active, command.path, command.text, command.at);
      case 'ReportFirmwareVersionUnreadable':
        return active.steps.includes('update-reported-success') ? [succeeded(active, null, command.at)] : [];
      case 'FailFirmwareUpdate':
        return [failed(active, command.reason, null, command.at)];
      case 'CheckFirmwareUpdateDeadline':
        if (Date.parse(command.now) < Date.parse(active.request.deadline)) return [];
        return [failed(active, `timed out ${describeProgress(active)}`, null, command.now)];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'FirmwareUpdateRequested':
        return { active: { request: event.data, steps: [] } };
      case 'FirmwareUpdateProgressed':
        return state.active ? { active: { ...state.active, steps: [...state.active.steps, event.data.step] } } : state;
      case 'FirmwareUpdateSucceeded':
      case 'FirmwareUpdateFailed':
        return { active: undefined };
    }
  },
};

function progressed(active: ActiveFirmwareUpdate, step: FirmwareUpdateStep, at: string): FirmwareUpdateEvent[] {
  if (active.steps.includes(step)) return [];
  return [{ type: 'FirmwareUpdateProgressed', data: { updateId: active.request.updateId, step, at } }];
}

function report(active: ActiveFirmwareUpdate, path: string, text: string, at: string): FirmwareUpdateEvent[] {
  const has = (step: FirmwareUpdateStep): boolean => active.steps.includes(step);
  switch (path) {
    case '/5/0/3':
      return Number(text) === firmwareState.downloaded && has('delivering-package') ? progressed(active, 'downloaded', at) : [];
    case '/5/0/5': {
      // Before the package is delivered, the result is a former attempt's (Core 1.1 E.6: the client
      // resets it to 0 once the process is initiated).
      if (!has('delivering-package')) return [];
      const result = Number(text);
      const failure = updateResultFailure(result);
      if (failure !== undefined) return [failed(active, failure, result, at)];
      if (result !== updateResultSuccess || !has('update-executed')) return [];
      return progressed(active, 'update-reported-success', at);
    }
    case '/3/0/3':
      // Only once the device reported success: before it, the version is the one it ran before.
      return has('update-reported-success') ? [succeeded(active, text, at)] : [];
    default:
      return [];
  }
}

function succeeded(active: ActiveFirmwareUpdate, reportedVersion: string | null, at: string): FirmwareUpdateEvent {
  return { type: 'FirmwareUpdateSucceeded', data: { updateId: active.request.updateId, version: active.request.version, reportedVersion, at } };
}

function failed(active: ActiveFirmwareUpdate, reason: string, updateResult: number | null, at: string): FirmwareUpdateEvent {
  return { type: 'FirmwareUpdateFailed', data: { updateId: active.request.updateId, reason, updateResult, at } };
}

function describeProgress(active: ActiveFirmwareUpdate): string {
  const last = active.steps.at(-1);
  return last === undefined ? 'before the device took part' : `after step ${last}`;
}
