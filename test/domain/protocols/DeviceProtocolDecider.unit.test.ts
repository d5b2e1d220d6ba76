import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';
import { parseDdf } from '../../../src/domain/lwm2m/DdfParser.ts';
import type { ObjectModel } from '../../../src/domain/lwm2m/ObjectModel.ts';
import type { DeviceProtocolCommand, DeviceProtocolState } from '../../../src/domain/protocols/DeviceProtocolDecider.ts';
import { deviceProtocolDecider, resourceFunctionalities } from '../../../src/domain/protocols/DeviceProtocolDecider.ts';
import type { DeviceProtocolEvent } from '../../../src/domain/protocols/DeviceProtocolEvents.ts';
import type { FunctionalityInput } from '../../../src/domain/protocols/Functionality.ts';
import type { ValidationRuleEvent } from '../../../src/domain/protocols/validation/ValidationRuleEvents.ts';

function modelOf(file: string): ObjectModel {
  const parsed = parseDdf(readFileSync(new URL(`../../fixtures/ddf/${file}`, import.meta.url), 'utf8'));
  if (!parsed.ok || parsed.objects[0] === undefined) throw new Error(`fixture ${file} does not parse`);
  return parsed.objects[0];
}

const temperature11 = modelOf('3303.xml');
const temperature10 = modelOf('3303-1_0.xml');
const at = '2026-01-01T00:00:00.000Z';
const later = '2026-01-02T00:00:00.000Z';

/** A model whose sensor value has units, for the unit default. */
const withUnits: ObjectModel = {
  ...temperature11,
  resources: temperature11.resources.map((resource) => (resource.id === 5700 ? { ...resource, units: 'Cel' } : resource)),
};

function created(model: ObjectModel, createdAt = at): DeviceProtocolEvent {
  const result = deviceProtocolDecider.decide({ type: 'CreateDeviceProtocolVersion', model, at: createdAt }, deviceProtocolDecider.initialState);
  const event = result[0];
  if (event === undefined) throw new Error('no creation event');
  return event;
}

function set(resourceId: number, functionality: FunctionalityInput, version = '1.1'): DeviceProtocolCommand {
  return { type: 'SetResourceFunctionality', objectId: 3303, version, resourceId, functionality, at: later };
}

function remove(resourceId: number, kind: FunctionalityInput['kind'], version = '1.1'): DeviceProtocolCommand {
  return { type: 'RemoveResourceFunctionality', objectId: 3303, version, resourceId, kind, at: later };
}

const measurement: FunctionalityInput = { kind: 'sendMeasurement', type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'C' };
const alarm: FunctionalityInput = { kind: 'createAlarm', severity: 'MAJOR', type: 'c8y_HighTemperature', status: 'ACTIVE', text: 'Too hot: {value}' };

function given(events: readonly (DeviceProtocolEvent | ValidationRuleEvent)[]) {
  // The stream also holds validation rule events: the decider folds past them.
  const state = events.reduce<DeviceProtocolState>(
    (s, e) => deviceProtocolDecider.evolve(s, e as DeviceProtocolEvent),
    deviceProtocolDecider.initialState,
  );
  return {
    when: (command: DeviceProtocolCommand) => deviceProtocolDecider.decide(command, state),
    state,
  };
}

function thenError(run: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect((caught as DomainError).code).toBe(code);
  expect((caught as DomainError).message).toMatch(message);
}

describe('DeviceProtocolDecider: versions', () => {
  it('creates a version with the model, name, description, object id, versions and the given time', () => {
    const events = given([]).when({ type: 'CreateDeviceProtocolVersion', model: temperature11, at });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'DeviceProtocolVersionCreated',
      data: { objectId: 3303, version: '1.1', lwm2mVersion: '1.0', name: 'Temperature', createdAt: at },
    });
    expect(events[0]?.type === 'DeviceProtocolVersionCreated' && events[0].data.description).toContain('temperature');
  });

  it('creates another version of the same object beside the first', () => {
    const events = given([created(temperature10)]).when({ type: 'CreateDeviceProtocolVersion', model: temperature11, at: later });
    expect(events.map((e) => e.type)).toEqual(['DeviceProtocolVersionCreated']);
    const state = foldEvents(deviceProtocolDecider, [created(temperature10), ...events]);
    expect([...state.versions.keys()]).toEqual(['1.0', '1.1']);
  });

  it('ignores an identical re-upload', () => {
    expect(given([created(temperature11)]).when({ type: 'CreateDeviceProtocolVersion', model: temperature11, at: later })).toEqual([]);
  });

  it('refuses another model under an existing version: resources cannot be edited', () => {
    const renamed = { ...temperature11, resources: temperature11.resources.map((r) => (r.id === 5700 ? { ...r, name: 'Renamed' } : r)) };
    thenError(() => given([created(temperature11)]).when({ type: 'CreateDeviceProtocolVersion', model: renamed, at }), 'CONFLICT', /version 1\.1/);
  });
});

describe('DeviceProtocolDecider: functionalities', () => {
  it('sets Send measurement, Create alarm and Send event on a resource', () => {
    const history = [created(temperature11)];
    expect(given(history).when(set(5700, measurement))).toEqual([
      {
        type: 'ResourceFunctionalitySet',
        data: { objectId: 3303, version: '1.1', resourceId: 5700, functionality: measurement, at: later },
      },
    ]);
    expect(given(history).when(set(5700, alarm))[0]?.data).toMatchObject({ functionality: alarm });
    const event: FunctionalityInput = { kind: 'sendEvent', type: 'c8y_Reading', text: 'read {value}' };
    expect(given(history).when(set(5700, event))[0]?.data).toMatchObject({ functionality: event });
  });

  it("defaults a measurement's unit to the DDF's units", () => {
    const events = given([created(withUnits)]).when(set(5700, { kind: 'sendMeasurement', type: 'c8y_T', series: 'T' }));
    expect(events[0]?.data).toMatchObject({ functionality: { kind: 'sendMeasurement', type: 'c8y_T', series: 'T', unit: 'Cel' } });
  });

  it('refuses a functionality on a resource the model does not have, naming the path', () => {
    thenError(() => given([created(temperature11)]).when(set(9999, measurement)), 'BAD_USER_INPUT', /\/3303\/9999/);
    thenError(() => given([created(temperature11)]).when(remove(9999, 'sendMeasurement')), 'BAD_USER_INPUT', /\/3303\/9999/);
  });

  it('refuses a functionality on a version that does not exist', () => {
    thenError(() => given([created(temperature11)]).when(set(5700, measurement, '2.0')), 'NOT_FOUND', /version 2\.0/);
  });

  it('refuses incomplete alarms, events and measurements', () => {
    const history = [created(temperature11)];
    thenError(() => given(history).when(set(5700, { ...alarm, text: ' ' })), 'BAD_USER_INPUT', /Create alarm: text is mandatory/);
    thenError(() => given(history).when(set(5700, { ...alarm, severity: 'LOW' as 'MAJOR' })), 'BAD_USER_INPUT', /severity/);
    thenError(() => given(history).when(set(5700, { ...alarm, status: 'OPEN' as 'ACTIVE' })), 'BAD_USER_INPUT', /status/);
    thenError(() => given(history).when(set(5700, { kind: 'sendEvent', type: '', text: 'x' })), 'BAD_USER_INPUT', /Send event: type/);
    thenError(() => given(history).when(set(5700, { ...measurement, series: '' })), 'BAD_USER_INPUT', /series/);
    // 5701 "Sensor Units" is a String: no measurement of it.
    thenError(() => given(history).when(set(5701, measurement)), 'BAD_USER_INPUT', /numeric/);
  });

  it('allows Auto-observe only once another functionality is set', () => {
    thenError(() => given([created(temperature11)]).when(set(5700, { kind: 'autoObserve' })), 'BAD_USER_INPUT', /at least one other functionality/);
    const withMeasurement = [created(temperature11), ...given([created(temperature11)]).when(set(5700, measurement))];
    expect(given(withMeasurement).when(set(5700, { kind: 'autoObserve' })).map((e) => e.type)).toEqual(['ResourceFunctionalitySet']);
  });

  it('removes Auto-observe with the last other functionality', () => {
    const history: DeviceProtocolEvent[] = [created(temperature11)];
    for (const command of [set(5700, measurement), set(5700, { kind: 'autoObserve' })]) history.push(...given(history).when(command));
    const events = given(history).when(remove(5700, 'sendMeasurement'));
    expect(events.map((e) => e.type === 'ResourceFunctionalityRemoved' && e.data.kind)).toEqual(['sendMeasurement', 'autoObserve']);
    expect(resourceFunctionalities(foldEvents(deviceProtocolDecider, [...history, ...events]), '1.1', 5700)).toEqual({});
  });

  it('keeps Auto-observe while another functionality remains', () => {
    const history: DeviceProtocolEvent[] = [created(temperature11)];
    for (const command of [set(5700, measurement), set(5700, alarm), set(5700, { kind: 'autoObserve' })]) history.push(...given(history).when(command));
    const events = given(history).when(remove(5700, 'sendMeasurement'));
    expect(events).toHaveLength(1);
    const state = foldEvents(deviceProtocolDecider, [...history, ...events]);
    expect(Object.keys(resourceFunctionalities(state, '1.1', 5700)).sort()).toEqual(['autoObserve', 'createAlarm']);
  });

  it('treats setting an identical functionality and removing an absent one as no-ops', () => {
    const history = [created(temperature11), ...given([created(temperature11)]).when(set(5700, measurement))];
    expect(given(history).when(set(5700, measurement))).toEqual([]);
    expect(given(history).when(remove(5700, 'sendEvent'))).toEqual([]);
  });

  it('keeps functionalities per version', () => {
    const history: DeviceProtocolEvent[] = [created(temperature10), created(temperature11)];
    history.push(...given(history).when(set(5700, measurement, '1.1')));
    const state = foldEvents(deviceProtocolDecider, history);
    expect(resourceFunctionalities(state, '1.1', 5700).sendMeasurement).toEqual(measurement);
    expect(resourceFunctionalities(state, '1.0', 5700)).toEqual({});
  });

  it('folds past the validation rule events that share the stream', () => {
    const rule: ValidationRuleEvent = { type: 'ValidationRuleGroupRemoved', data: { objectId: 3303, resourceId: 5700, groupId: 'g' } };
    const { state } = given([created(temperature11), rule]);
    expect([...state.versions.keys()]).toEqual(['1.1']);
  });
});

describe('DeviceProtocolDecider: custom actions', () => {
  const opaqueModel: ObjectModel = {
    ...temperature11,
    resources: [...temperature11.resources, { ...temperature11.resources[0]!, id: 6000, name: 'Packed', type: 'opaque', units: '' }],
  };
  const packed: FunctionalityInput = {
    kind: 'customAction',
    action: {
      name: 'decodePackedReading',
      fields: [
        { type: 'int16', measurementType: 'c8y_T', series: 'T', unit: 'C', scale: 0.1 },
        { type: 'float32', measurementType: 'c8y_H', series: 'H', unit: '%', scale: 1 },
      ],
    },
  };

  it('sets the packed reading decoder on an Opaque resource, keeping only its own fields', () => {
    const input = { ...packed, action: { ...packed.action, extra: 'dropped' } } as unknown as FunctionalityInput;
    const events = given([created(opaqueModel)]).when(set(6000, input));
    expect(events[0]?.data).toMatchObject({ functionality: packed });
    expect(JSON.stringify(events)).not.toContain('dropped');
  });

  it('refuses the packed reading decoder on a Float resource and without fields', () => {
    thenError(() => given([created(opaqueModel)]).when(set(5700, packed)), 'BAD_USER_INPUT', /Opaque/);
    thenError(
      () => given([created(opaqueModel)]).when(set(6000, { kind: 'customAction', action: { name: 'decodePackedReading', fields: [] } })),
      'BAD_USER_INPUT',
      /1 to 32 fields/,
    );
  });

  it('sets the device property mapping, and refuses an unknown action or a bad property name', () => {
    const property: FunctionalityInput = { kind: 'customAction', action: { name: 'mapToDeviceProperty', property: 'sensorUnits' } };
    expect(given([created(temperature11)]).when(set(5701, property))[0]?.type).toBe('ResourceFunctionalitySet');
    thenError(
      () => given([created(temperature11)]).when(set(5701, { kind: 'customAction', action: { name: 'mapToDeviceProperty', property: '1 bad' } })),
      'BAD_USER_INPUT',
      /property "1 bad"/,
    );
    thenError(
      () => given([created(temperature11)]).when(set(5701, { kind: 'customAction', action: { name: 'rot13' } } as unknown as FunctionalityInput)),
      'BAD_USER_INPUT',
      /"rot13" is not one of/,
    );
  });
});
