/**
 * The alarms of one device (stream `alarms-<endpoint>`), with the usual platform rules (as
 * Cumulocity's alarm API has them):
 * - an alarm of a type that is already open (ACTIVE or ACKNOWLEDGED) on the device is not raised a
 *   second time: its count grows (AlarmCountIncreased) and it keeps its severity and status;
 * - once CLEARED, an alarm stays cleared; the next value of that type raises a new alarm;
 * - acknowledging an acknowledged alarm, or clearing a cleared one, is a no-op (retries are safe);
 *   acknowledging a cleared alarm is a CONFLICT.
 */
import type { Decider } from '../Decider.ts';
import { DomainError } from '../DomainError.ts';
import type { AlarmSeverity } from '../protocols/Functionality.ts';
import type { AlarmEvent, RaisedAlarmStatus } from './AlarmEvents.ts';
import { alarmId } from './AlarmEvents.ts';
import type { MappingSource } from './TelemetryEvents.ts';

export type AlarmCommand =
  | {
      readonly type: 'RaiseAlarm';
      readonly endpoint: string;
      readonly alarmType: string;
      readonly severity: AlarmSeverity;
      readonly status: 'ACTIVE' | 'ACKNOWLEDGED';
      readonly text: string;
      readonly time: string;
      readonly source: MappingSource | null;
    }
  /** Clears the open alarm of a type, if there is one (a value mapped with status CLEARED). */
  | { readonly type: 'ClearAlarmOfType'; readonly alarmType: string; readonly at: string }
  | { readonly type: 'AcknowledgeAlarm'; readonly alarmId: string; readonly at: string }
  | { readonly type: 'ClearAlarm'; readonly alarmId: string; readonly at: string };

export interface AlarmState {
  readonly type: string;
  readonly status: RaisedAlarmStatus;
  readonly count: number;
}

export interface DeviceAlarmsState {
  /** How many alarms were raised on the stream: numbers the next alarm id. */
  readonly raised: number;
  readonly alarms: ReadonlyMap<string, AlarmState>;
  /** Per alarm type, the id of its open (not cleared) alarm. */
  readonly openByType: ReadonlyMap<string, string>;
}

export const alarmDecider: Decider<AlarmCommand, AlarmEvent, DeviceAlarmsState> = {
  initialState: { raised: 0, alarms: new Map(), openByType: new Map() },

  decide(command, state) {
    switch (command.type) {
      case 'RaiseAlarm': {
        const open = state.openByType.get(command.alarmType);
        const current = open === undefined ? undefined : state.alarms.get(open);
        if (open !== undefined && current !== undefined) {
          return [{ type: 'AlarmCountIncreased', data: { alarmId: open, count: current.count + 1, time: command.time, text: command.text } }];
        }
        return [
          {
            type: 'AlarmRaised',
            data: {
              alarmId: alarmId(command.endpoint, state.raised + 1),
              endpoint: command.endpoint,
              type: command.alarmType,
              severity: command.severity,
              status: command.status,
              text: command.text,
              time: command.time,
              source: command.source,
            },
          },
        ];
      }
      case 'ClearAlarmOfType': {
        const open = state.openByType.get(command.alarmType);
        return open === undefined ? [] : [{ type: 'AlarmCleared', data: { alarmId: open, at: command.at } }];
      }
      case 'AcknowledgeAlarm': {
        const alarm = existing(state, command.alarmId);
        if (alarm.status === 'ACKNOWLEDGED') return [];
        if (alarm.status === 'CLEARED') throw new DomainError('CONFLICT', `alarm ${command.alarmId} is cleared; it cannot be acknowledged`, { alarmId: command.alarmId });
        return [{ type: 'AlarmAcknowledged', data: { alarmId: command.alarmId, at: command.at } }];
      }
      case 'ClearAlarm': {
        const alarm = existing(state, command.alarmId);
        if (alarm.status === 'CLEARED') return [];
        return [{ type: 'AlarmCleared', data: { alarmId: command.alarmId, at: command.at } }];
      }
    }
  },

  evolve(state, event) {
    const alarms = new Map(state.alarms);
    const openByType = new Map(state.openByType);
    switch (event.type) {
      case 'AlarmRaised':
        alarms.set(event.data.alarmId, { type: event.data.type, status: event.data.status, count: 1 });
        openByType.set(event.data.type, event.data.alarmId);
        return { raised: state.raised + 1, alarms, openByType };
      case 'AlarmCountIncreased': {
        const alarm = alarms.get(event.data.alarmId);
        if (alarm !== undefined) alarms.set(event.data.alarmId, { ...alarm, count: event.data.count });
        return { ...state, alarms };
      }
      case 'AlarmAcknowledged': {
        const alarm = alarms.get(event.data.alarmId);
        if (alarm !== undefined) alarms.set(event.data.alarmId, { ...alarm, status: 'ACKNOWLEDGED' });
        return { ...state, alarms };
      }
      case 'AlarmCleared': {
        const alarm = alarms.get(event.data.alarmId);
        if (alarm !== undefined) {
          alarms.set(event.data.alarmId, { ...alarm, status: 'CLEARED' });
          if (openByType.get(alarm.type) === event.data.alarmId) openByType.delete(alarm.type);
        }
        return { ...state, alarms, openByType };
      }
    }
  },
};

function existing(state: DeviceAlarmsState, id: string): AlarmState {
  const alarm = state.alarms.get(id);
  if (alarm === undefined) throw new DomainError('NOT_FOUND', `no alarm ${id}`, { alarmId: id });
  return alarm;
}
