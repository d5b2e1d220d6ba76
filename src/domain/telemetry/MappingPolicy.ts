/**
 * The mapping policy: what to record for the values a device sent (a read response, a notification
 * or a Send, LwM2M Core 1.1 sections 6.3.1, 6.4.5 and 6.4.x "Send"). Pure: the caller gives the
 * values, the time it received them and, per object, the functionalities of the protocol version the
 * device registered with; the policy returns the telemetry events to append and the alarm commands to
 * run. Nothing here reads a clock or a store.
 *
 * - The time of each value is the device's (SenML/LwM2M JSON time) when it gave one, else the
 *   server's receive time.
 * - A resource with functionalities (other than Auto-observe alone) is mapped by them, each of them:
 *   Send measurement, Send event, Create alarm (ACTIVE/ACKNOWLEDGED raise, CLEARED clears the open
 *   alarm of the type) and the custom action.
 * - A resource without functionalities of objects 3 to 6 is mapped by the built-in defaults
 *   (`DefaultMappings.ts`); any other resource is not recorded.
 * - A value a functionality cannot use (a measurement of a text that is not a number, a packed
 *   reading of the wrong length) records an `lwm2m_MappingFailed` event saying why, so that users see
 *   that values arrive and what is wrong with them.
 */
import type { LwM2mValue, PathValue } from '../lwm2m/LwM2mValue.ts';
import { formatPath } from '../lwm2m/LwM2mPath.ts';
import { formatTypedValue } from '../lwm2m/TypedValueText.ts';
import type { ResourceFunctionalities } from '../protocols/Functionality.ts';
import { functionalityList } from '../protocols/Functionality.ts';
import type { AlarmCommand } from './AlarmDecider.ts';
import type { TimedValue } from './DefaultMappings.ts';
import { DEFAULT_MAPPED_OBJECTS, defaultMappingOf, defaultPositions, isoFromSeconds } from './DefaultMappings.ts';
import { measurementNumber } from './MeasurementNumber.ts';
import { decodePackedReading } from './PackedReading.ts';
import type { MappingSource, TelemetryEvent } from './TelemetryEvents.ts';

/** The functionalities of one object's protocol, at the version the device registered with. */
export interface DeviceProtocolMapping {
  readonly version: string;
  readonly resources: ReadonlyMap<number, ResourceFunctionalities>;
}

export interface ReceivedValues {
  readonly endpoint: string;
  readonly values: readonly PathValue[];
  /** ISO 8601: when the server received the message. */
  readonly receivedAt: string;
  /** The device's protocol of an object; undefined when no protocol was uploaded for it. */
  readonly protocolOf: (objectId: number) => DeviceProtocolMapping | undefined;
}

export interface MappingDecision {
  /** For the stream `telemetry-<endpoint>`, in this order. */
  readonly telemetry: readonly TelemetryEvent[];
  /** For the stream `alarms-<endpoint>`, in this order. */
  readonly alarms: readonly AlarmCommand[];
}

export const MAPPING_FAILED_EVENT_TYPE = 'lwm2m_MappingFailed';

export function mapReceivedValues(received: ReceivedValues): MappingDecision {
  const { endpoint } = received;
  const telemetry: TelemetryEvent[] = [];
  const alarms: AlarmCommand[] = [];
  const positionValues: TimedValue[] = [];
  for (const pathValue of received.values) {
    const { path } = pathValue;
    if (path.instanceId === undefined || path.resourceId === undefined) continue;
    const timed: TimedValue = { path, value: pathValue.value, time: valueTime(pathValue.time, received.receivedAt) };
    const protocol = received.protocolOf(path.objectId);
    const functionalities = protocol?.resources.get(path.resourceId);
    if (protocol !== undefined && functionalities !== undefined && mapsValues(functionalities)) {
      applyFunctionalities(endpoint, timed, protocol.version, functionalities, telemetry, alarms);
    } else if (path.objectId === 6) {
      positionValues.push(timed);
    } else if (DEFAULT_MAPPED_OBJECTS.has(path.objectId)) {
      telemetry.push(...defaultMappingOf(endpoint, timed));
    }
  }
  telemetry.push(...defaultPositions(endpoint, positionValues));
  return { telemetry, alarms };
}

/** Auto-observe alone asks for values but says nothing about what to record. */
function mapsValues(functionalities: ResourceFunctionalities): boolean {
  return functionalityList(functionalities).some((functionality) => functionality.kind !== 'autoObserve');
}

function valueTime(deviceSeconds: number | undefined, receivedAt: string): string {
  if (deviceSeconds === undefined) return receivedAt;
  return isoFromSeconds(deviceSeconds) ?? receivedAt;
}

function applyFunctionalities(
  endpoint: string,
  timed: TimedValue,
  protocolVersion: string,
  functionalities: ResourceFunctionalities,
  telemetry: TelemetryEvent[],
  alarms: AlarmCommand[],
): void {
  const { value, time } = timed;
  const path = formatPath(timed.path);
  const from = (rule: MappingSource['rule']): MappingSource => ({ path, protocolVersion, rule });
  const failed = (rule: MappingSource['rule'], reason: string): TelemetryEvent => ({
    type: 'EventCreated',
    data: {
      endpoint,
      type: MAPPING_FAILED_EVENT_TYPE,
      text: `${path}: ${reason}`,
      time,
      attributes: { value: formatTypedValue(value), valueType: value.type },
      source: from(rule),
    },
  });

  const { sendMeasurement, sendEvent, createAlarm, customAction } = functionalities;
  if (sendMeasurement !== undefined) {
    const number = measurementNumber(value);
    telemetry.push(
      number === undefined
        ? failed('sendMeasurement', `a ${value.type} value is not a number; no ${sendMeasurement.type} measurement`)
        : {
            type: 'MeasurementCreated',
            data: { endpoint, type: sendMeasurement.type, series: sendMeasurement.series, value: number, unit: sendMeasurement.unit, time, source: from('sendMeasurement') },
          },
    );
  }
  if (sendEvent !== undefined) {
    telemetry.push({
      type: 'EventCreated',
      data: { endpoint, type: sendEvent.type, text: withValue(sendEvent.text, value), time, attributes: {}, source: from('sendEvent') },
    });
  }
  if (createAlarm !== undefined) {
    if (createAlarm.status === 'CLEARED') {
      alarms.push({ type: 'ClearAlarmOfType', alarmType: createAlarm.type, at: time });
    } else {
      alarms.push({
        type: 'RaiseAlarm',
        endpoint,
        alarmType: createAlarm.type,
        severity: createAlarm.severity,
        status: createAlarm.status,
        text: withValue(createAlarm.text, value),
        time,
        source: from('createAlarm'),
      });
    }
  }
  if (customAction !== undefined) {
    const { action } = customAction;
    switch (action.name) {
      case 'decodePackedReading': {
        const rule = 'customAction:decodePackedReading';
        if (value.type !== 'opaque') {
          telemetry.push(failed(rule, `a packed reading is Opaque, the value is ${value.type}`));
          break;
        }
        const decoded = decodePackedReading(value.value, action.fields);
        if (!decoded.ok) {
          telemetry.push(failed(rule, `${decoded.error.message} (byte ${decoded.error.offset})`));
          break;
        }
        action.fields.forEach((field, index) => {
          const number = decoded.values[index];
          if (number === undefined) return;
          telemetry.push({
            type: 'MeasurementCreated',
            data: { endpoint, type: field.measurementType, series: field.series, value: number, unit: field.unit, time, source: from(rule) },
          });
        });
        break;
      }
      case 'mapToDeviceProperty':
        telemetry.push({
          type: 'DevicePropertyReported',
          data: { endpoint, property: action.property, value: formatTypedValue(value), time, source: from('customAction:mapToDeviceProperty') },
        });
        break;
    }
  }
}

/** A configured text with `{value}` replaced by the value's canonical text. */
function withValue(text: string, value: LwM2mValue): string {
  return text.includes('{value}') ? text.replaceAll('{value}', formatTypedValue(value)) : text;
}
