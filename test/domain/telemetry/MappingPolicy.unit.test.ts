import { describe, expect, it } from 'vitest';
import { parsePath } from '../../../src/domain/lwm2m/LwM2mPath.ts';
import type { LwM2mValue, PathValue } from '../../../src/domain/lwm2m/LwM2mValue.ts';
import { booleanValue, floatValue, integerValue, opaqueValue, stringValue, timeValue } from '../../../src/domain/lwm2m/LwM2mValue.ts';
import type { ResourceFunctionalities } from '../../../src/domain/protocols/Functionality.ts';
import type { DeviceProtocolMapping, MappingDecision } from '../../../src/domain/telemetry/MappingPolicy.ts';
import { mapReceivedValues } from '../../../src/domain/telemetry/MappingPolicy.ts';

const receivedAt = '2026-03-01T12:00:00.000Z';
const deviceSeconds = Date.parse('2026-03-01T11:59:30.000Z') / 1000;

function value(path: string, v: LwM2mValue, time?: number): PathValue {
  return time === undefined ? { path: parsePath(path), value: v } : { path: parsePath(path), value: v, time };
}

function map(values: readonly PathValue[], protocols: Record<number, DeviceProtocolMapping> = {}): MappingDecision {
  return mapReceivedValues({ endpoint: 'dev-1', values, receivedAt, protocolOf: (objectId) => protocols[objectId] });
}

function protocol(resourceId: number, functionalities: ResourceFunctionalities, version = '1.1'): DeviceProtocolMapping {
  return { version, resources: new Map([[resourceId, functionalities]]) };
}

const sendMeasurement = { kind: 'sendMeasurement', type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' } as const;
const createAlarm = { kind: 'createAlarm', severity: 'MAJOR', type: 'c8y_HighTemperature', status: 'ACTIVE', text: 'Temperature {value}' } as const;

describe('MappingPolicy: functionalities', () => {
  it('turns a value into a measurement at the receive time, recording the protocol version and rule', () => {
    const decision = map([value('/3303/0/5700', floatValue(21.5))], { 3303: protocol(5700, { sendMeasurement }) });
    expect(decision).toEqual({
      telemetry: [
        {
          type: 'MeasurementCreated',
          data: {
            endpoint: 'dev-1',
            type: 'c8y_TemperatureMeasurement',
            series: 'T',
            value: 21.5,
            unit: 'Cel',
            time: receivedAt,
            source: { path: '/3303/0/5700', protocolVersion: '1.1', rule: 'sendMeasurement' },
          },
        },
      ],
      alarms: [],
    });
  });

  it("uses the device's time of a value when it gave one", () => {
    const decision = map([value('/3303/0/5700', floatValue(21.5), deviceSeconds)], { 3303: protocol(5700, { sendMeasurement }) });
    expect(decision.telemetry[0]?.data.time).toBe('2026-03-01T11:59:30.000Z');
  });

  it('measures integers and booleans as numbers', () => {
    const protocols = { 3303: protocol(5700, { sendMeasurement }) };
    expect(map([value('/3303/0/5700', integerValue(-4n))], protocols).telemetry[0]?.data).toMatchObject({ value: -4 });
    expect(map([value('/3303/0/5700', booleanValue(true))], protocols).telemetry[0]?.data).toMatchObject({ value: 1 });
  });

  it('records a mapping failure for a value that is not a number', () => {
    const decision = map([value('/3303/0/5700', stringValue('warm'))], { 3303: protocol(5700, { sendMeasurement }) });
    expect(decision.telemetry).toMatchObject([
      { type: 'EventCreated', data: { type: 'lwm2m_MappingFailed', attributes: { value: 'warm', valueType: 'string' } } },
    ]);
  });

  it('sends an event with the value in its text', () => {
    const decision = map([value('/3342/0/5500', booleanValue(true))], {
      3342: protocol(5500, { sendEvent: { kind: 'sendEvent', type: 'c8y_DoorEvent', text: 'Door sensor: {value}' } }),
    });
    expect(decision.telemetry).toMatchObject([
      { type: 'EventCreated', data: { type: 'c8y_DoorEvent', text: 'Door sensor: true', time: receivedAt, source: { rule: 'sendEvent' } } },
    ]);
  });

  it('raises an alarm, and clears the open alarm for a CLEARED status', () => {
    const raised = map([value('/3303/0/5700', floatValue(80))], { 3303: protocol(5700, { createAlarm }) });
    expect(raised.alarms).toEqual([
      {
        type: 'RaiseAlarm',
        endpoint: 'dev-1',
        alarmType: 'c8y_HighTemperature',
        severity: 'MAJOR',
        status: 'ACTIVE',
        text: 'Temperature 80',
        time: receivedAt,
        source: { path: '/3303/0/5700', protocolVersion: '1.1', rule: 'createAlarm' },
      },
    ]);
    const cleared = map([value('/3303/0/5700', floatValue(20))], { 3303: protocol(5700, { createAlarm: { ...createAlarm, status: 'CLEARED' } }) });
    expect(cleared.alarms).toEqual([{ type: 'ClearAlarmOfType', alarmType: 'c8y_HighTemperature', at: receivedAt }]);
  });

  it('applies every functionality of a resource', () => {
    const decision = map([value('/3303/0/5700', floatValue(80))], {
      3303: protocol(5700, { sendMeasurement, createAlarm, autoObserve: { kind: 'autoObserve' } }),
    });
    expect(decision.telemetry.map((e) => e.type)).toEqual(['MeasurementCreated']);
    expect(decision.alarms.map((c) => c.type)).toEqual(['RaiseAlarm']);
  });

  it('decodes a packed reading into one measurement per field', () => {
    const fields = [
      { type: 'int16', measurementType: 'c8y_T', series: 'T', unit: 'Cel', scale: 0.1 },
      { type: 'uint8', measurementType: 'c8y_H', series: 'H', unit: '%', scale: 1 },
    ] as const;
    const protocols = { 32769: protocol(1, { customAction: { kind: 'customAction', action: { name: 'decodePackedReading', fields } } }) };
    const decision = map([value('/32769/0/1', opaqueValue(Uint8Array.of(0x00, 0xd7, 0x37)))], protocols);
    expect(decision.telemetry.map((e) => e.data)).toMatchObject([
      { type: 'c8y_T', series: 'T', value: 21.5, unit: 'Cel', source: { rule: 'customAction:decodePackedReading' } },
      { type: 'c8y_H', series: 'H', value: 55, unit: '%' },
    ]);
    const short = map([value('/32769/0/1', opaqueValue(Uint8Array.of(0x00)))], protocols);
    expect(short.telemetry).toMatchObject([{ type: 'EventCreated', data: { type: 'lwm2m_MappingFailed' } }]);
    expect(short.telemetry[0]?.type === 'EventCreated' && short.telemetry[0].data.text).toBe(
      '/32769/0/1: a packed reading of this layout has 3 bytes, the value has 1 (byte 1)',
    );
  });

  it('maps a resource to a device property', () => {
    const decision = map([value('/3303/0/5701', stringValue('Cel'))], {
      3303: protocol(5701, { customAction: { kind: 'customAction', action: { name: 'mapToDeviceProperty', property: 'sensorUnits' } } }),
    });
    expect(decision.telemetry).toMatchObject([{ type: 'DevicePropertyReported', data: { property: 'sensorUnits', value: 'Cel' } }]);
  });

  it('records nothing for a resource with Auto-observe alone or without functionalities', () => {
    const protocols = { 3303: protocol(5700, { autoObserve: { kind: 'autoObserve' } }) };
    expect(map([value('/3303/0/5700', floatValue(1)), value('/3303/0/5601', floatValue(1))], protocols)).toEqual({ telemetry: [], alarms: [] });
  });
});

describe('MappingPolicy: built-in defaults', () => {
  it('fills device information from object 3 and measures the battery level', () => {
    const decision = map([
      value('/3/0/0', stringValue('ACME')),
      value('/3/0/1', stringValue('T-1000')),
      value('/3/0/2', stringValue('SN-42')),
      value('/3/0/3', stringValue('1.2.3')),
      value('/3/0/9', integerValue(87n)),
      value('/3/0/13', timeValue(0)),
    ]);
    expect(decision.telemetry.map((e) => [e.type, e.data])).toMatchObject([
      ['DevicePropertyReported', { property: 'manufacturer', value: 'ACME', source: { protocolVersion: null, rule: 'default', path: '/3/0/0' } }],
      ['DevicePropertyReported', { property: 'model', value: 'T-1000' }],
      ['DevicePropertyReported', { property: 'serialNumber', value: 'SN-42' }],
      ['DevicePropertyReported', { property: 'firmwareVersion', value: '1.2.3' }],
      ['MeasurementCreated', { type: 'c8y_Battery', series: 'level', value: 87, unit: '%' }],
    ]);
  });

  it('measures the radio signal strength of object 4', () => {
    expect(map([value('/4/0/2', integerValue(-71n))]).telemetry).toMatchObject([
      { type: 'MeasurementCreated', data: { type: 'c8y_SignalStrength', series: 'rssi', value: -71, unit: 'dBm' } },
    ]);
  });

  it("tracks object 5's state and update result as events", () => {
    expect(map([value('/5/0/3', integerValue(1n)), value('/5/0/5', integerValue(5n))]).telemetry).toMatchObject([
      { type: 'EventCreated', data: { type: 'c8y_FirmwareUpdateState', text: 'Firmware update state: Downloading', attributes: { code: 1 } } },
      { type: 'EventCreated', data: { type: 'c8y_FirmwareUpdateResult', text: 'Firmware update result: Integrity check failure for new downloaded package' } },
    ]);
  });

  it("gives the position and a location update from object 6, at the device's timestamp", () => {
    const decision = map([
      value('/6/0/0', floatValue(48.1)),
      value('/6/0/1', floatValue(11.6)),
      value('/6/0/2', floatValue(520)),
      value('/6/0/5', timeValue(deviceSeconds)),
    ]);
    expect(decision.telemetry).toEqual([
      {
        type: 'DevicePositionReported',
        data: { endpoint: 'dev-1', latitude: 48.1, longitude: 11.6, altitude: 520, time: '2026-03-01T11:59:30.000Z', source: { path: '/6/0', protocolVersion: null, rule: 'default' } },
      },
      {
        type: 'EventCreated',
        data: {
          endpoint: 'dev-1',
          type: 'c8y_LocationUpdate',
          text: 'Location updated',
          time: '2026-03-01T11:59:30.000Z',
          attributes: { lat: 48.1, lng: 11.6, alt: 520 },
          source: { path: '/6/0', protocolVersion: null, rule: 'default' },
        },
      },
    ]);
  });

  it('reads LwM2M 1.0 string coordinates, and needs both of them', () => {
    expect(map([value('/6/0/0', stringValue('48.1')), value('/6/0/1', stringValue('-11.6'))]).telemetry[0]?.data).toMatchObject({
      latitude: 48.1,
      longitude: -11.6,
      altitude: null,
      time: receivedAt,
    });
    expect(map([value('/6/0/0', floatValue(48.1))]).telemetry).toEqual([]);
  });

  it('lets functionalities of an uploaded protocol replace the default of that resource only', () => {
    const decision = map([value('/3/0/9', integerValue(10n)), value('/3/0/0', stringValue('ACME'))], {
      3: protocol(9, { sendEvent: { kind: 'sendEvent', type: 'c8y_BatteryEvent', text: 'battery {value}' } }, '1.2'),
    });
    expect(decision.telemetry.map((e) => [e.type, e.data.source])).toEqual([
      ['EventCreated', { path: '/3/0/9', protocolVersion: '1.2', rule: 'sendEvent' }],
      ['DevicePropertyReported', { path: '/3/0/0', protocolVersion: null, rule: 'default' }],
    ]);
  });
});
