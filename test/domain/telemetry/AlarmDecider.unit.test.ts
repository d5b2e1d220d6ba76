import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';
import type { AlarmCommand } from '../../../src/domain/telemetry/AlarmDecider.ts';
import { alarmDecider } from '../../../src/domain/telemetry/AlarmDecider.ts';
import type { AlarmEvent } from '../../../src/domain/telemetry/AlarmEvents.ts';
import { alarmEndpoint, alarmId } from '../../../src/domain/telemetry/AlarmEvents.ts';

const source = { path: '/3303/0/5700', protocolVersion: '1.1', rule: 'createAlarm' as const };

function raise(time: string, alarmType = 'c8y_HighTemperature', text = 'Too hot'): AlarmCommand {
  return { type: 'RaiseAlarm', endpoint: 'dev-1', alarmType, severity: 'MAJOR', status: 'ACTIVE', text, time, source };
}

/** given events, when command: the events decided (or the error thrown). */
function given(events: readonly AlarmEvent[]) {
  const state = foldEvents(alarmDecider, events);
  return { when: (command: AlarmCommand) => alarmDecider.decide(command, state) };
}

/** Runs commands one after another from no history; returns every event. */
function history(...commands: AlarmCommand[]): AlarmEvent[] {
  const events: AlarmEvent[] = [];
  for (const command of commands) events.push(...given(events).when(command));
  return events;
}

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('AlarmDecider', () => {
  it('raises a first alarm of a type with a numbered id', () => {
    expect(given([]).when(raise('2026-01-01T00:00:00.000Z'))).toEqual([
      {
        type: 'AlarmRaised',
        data: {
          alarmId: '1@dev-1',
          endpoint: 'dev-1',
          type: 'c8y_HighTemperature',
          severity: 'MAJOR',
          status: 'ACTIVE',
          text: 'Too hot',
          time: '2026-01-01T00:00:00.000Z',
          source,
        },
      },
    ]);
  });

  it('counts a repeat of an open alarm instead of raising it again', () => {
    const events = history(raise('2026-01-01T00:00:00.000Z'), raise('2026-01-01T00:01:00.000Z', undefined, 'Hotter'), raise('2026-01-01T00:02:00.000Z'));
    expect(events.map((e) => e.type)).toEqual(['AlarmRaised', 'AlarmCountIncreased', 'AlarmCountIncreased']);
    expect(events[2]).toEqual({ type: 'AlarmCountIncreased', data: { alarmId: '1@dev-1', count: 3, time: '2026-01-01T00:02:00.000Z', text: 'Too hot' } });
  });

  it('counts on an acknowledged alarm too', () => {
    const events = history(raise('2026-01-01T00:00:00.000Z'), { type: 'AcknowledgeAlarm', alarmId: '1@dev-1', at: 'a' });
    expect(given(events).when(raise('2026-01-01T00:05:00.000Z'))[0]?.type).toBe('AlarmCountIncreased');
  });

  it('raises alarms of different types separately', () => {
    const events = history(raise('t1'), raise('t2', 'c8y_LowBattery'));
    expect(events.map((e) => e.type === 'AlarmRaised' && e.data.alarmId)).toEqual(['1@dev-1', '2@dev-1']);
  });

  it('raises a new alarm after the alarm of that type was cleared', () => {
    const events = history(raise('t1'), { type: 'ClearAlarm', alarmId: '1@dev-1', at: 't2' });
    expect(given(events).when(raise('t3'))).toMatchObject([{ type: 'AlarmRaised', data: { alarmId: '2@dev-1' } }]);
  });

  it('clears the open alarm of a type, and does nothing when none is open', () => {
    const events = history(raise('t1'));
    expect(given(events).when({ type: 'ClearAlarmOfType', alarmType: 'c8y_HighTemperature', at: 't2' })).toEqual([
      { type: 'AlarmCleared', data: { alarmId: '1@dev-1', at: 't2' } },
    ]);
    expect(given(events).when({ type: 'ClearAlarmOfType', alarmType: 'c8y_Other', at: 't2' })).toEqual([]);
  });

  it('acknowledges an active alarm; acknowledging twice is a no-op; a cleared alarm cannot be acknowledged', () => {
    const events = history(raise('t1'));
    expect(given(events).when({ type: 'AcknowledgeAlarm', alarmId: '1@dev-1', at: 't2' })).toEqual([
      { type: 'AlarmAcknowledged', data: { alarmId: '1@dev-1', at: 't2' } },
    ]);
    const acknowledged = history(raise('t1'), { type: 'AcknowledgeAlarm', alarmId: '1@dev-1', at: 't2' });
    expect(given(acknowledged).when({ type: 'AcknowledgeAlarm', alarmId: '1@dev-1', at: 't3' })).toEqual([]);
    const cleared = history(raise('t1'), { type: 'ClearAlarm', alarmId: '1@dev-1', at: 't2' });
    expect(errorOf(() => given(cleared).when({ type: 'AcknowledgeAlarm', alarmId: '1@dev-1', at: 't3' })).code).toBe('CONFLICT');
    expect(given(cleared).when({ type: 'ClearAlarm', alarmId: '1@dev-1', at: 't3' })).toEqual([]);
  });

  it('refuses to acknowledge or clear an alarm that does not exist', () => {
    expect(errorOf(() => given([]).when({ type: 'AcknowledgeAlarm', alarmId: '7@dev-1', at: 't' })).code).toBe('NOT_FOUND');
    expect(errorOf(() => given([]).when({ type: 'ClearAlarm', alarmId: '7@dev-1', at: 't' })).code).toBe('NOT_FOUND');
  });

  it('names the device in the alarm id', () => {
    expect(alarmEndpoint(alarmId('urn:imei:1@x', 12))).toBe('urn:imei:1@x');
    expect(alarmEndpoint('0@dev')).toBeUndefined();
    expect(alarmEndpoint('dev')).toBeUndefined();
  });
});
