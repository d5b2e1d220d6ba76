/**
 * What the service does with the standard OMA objects without any uploaded protocol (the guide: "By
 * default, the LWM2M agent adds mappings to these objects and knows how to handle their
 * information"). Resource ids and meanings are those of LwM2M Core 1.1 Appendix E.
 *
 * - Device (3): Manufacturer /3/0/0, Model Number /3/0/1, Serial Number /3/0/2 and Firmware Version
 *   /3/0/3 become the device properties `manufacturer`, `model`, `serialNumber`, `firmwareVersion`;
 *   Battery Level /3/0/9 (percent) the measurement `c8y_Battery` series `level`, unit `%`.
 * - Connectivity Monitoring (4): Radio Signal Strength /4/0/2 (dBm) the measurement
 *   `c8y_SignalStrength` series `rssi`, unit `dBm`.
 * - Firmware Update (5): State /5/0/3 and Update Result /5/0/5 become the events
 *   `c8y_FirmwareUpdateState` and `c8y_FirmwareUpdateResult`, with the spec's meaning as text.
 * - Location (6): Latitude /6/i/0 and Longitude /6/i/1 (with Altitude /6/i/2 when present) received
 *   together become the device's position and a `c8y_LocationUpdate` event, at the device's Timestamp
 *   /6/i/5 when it sent one. A latitude without its longitude is not a position: devices report
 *   location by reading or observing the instance /6/0, which carries both.
 *
 * A resource on which the device's protocol has functionalities is mapped by them instead.
 */
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import { formatPath } from '../lwm2m/LwM2mPath.ts';
import type { LwM2mValue } from '../lwm2m/LwM2mValue.ts';
import { formatTypedValue } from '../lwm2m/TypedValueText.ts';
import { measurementNumber } from './MeasurementNumber.ts';
import type { MappingSource, TelemetryEvent } from './TelemetryEvents.ts';

/** A received value with its time already decided (device time, else receive time). */
export interface TimedValue {
  readonly path: LwM2mPath;
  readonly value: LwM2mValue;
  readonly time: string;
}

const DEVICE_PROPERTIES: ReadonlyMap<number, string> = new Map([
  [0, 'manufacturer'],
  [1, 'model'],
  [2, 'serialNumber'],
  [3, 'firmwareVersion'],
]);

/** LwM2M Core 1.1 Appendix E.6, Firmware Update resource 3 "State". */
const FIRMWARE_STATES: readonly string[] = ['Idle', 'Downloading', 'Downloaded', 'Updating'];
/** LwM2M Core 1.1 Appendix E.6, Firmware Update resource 5 "Update Result". */
const FIRMWARE_RESULTS: readonly string[] = [
  'Initial value',
  'Firmware updated successfully',
  'Not enough flash memory for the new firmware package',
  'Out of RAM during downloading process',
  'Connection lost during downloading process',
  'Integrity check failure for new downloaded package',
  'Unsupported package type',
  'Invalid URI',
  'Firmware update failed',
  'Unsupported protocol',
];

/** The objects whose values have built-in mappings. */
export const DEFAULT_MAPPED_OBJECTS: ReadonlySet<number> = new Set([3, 4, 5, 6]);

/** The default mapping of one value of objects 3, 4 and 5 (object 6 goes by instance: `defaultPositions`). */
export function defaultMappingOf(endpoint: string, timed: TimedValue): TelemetryEvent[] {
  const { path, value, time } = timed;
  const source: MappingSource = { path: formatPath(path), protocolVersion: null, rule: 'default' };
  const number = measurementNumber(value);
  switch (path.objectId) {
    case 3: {
      const property = path.resourceId === undefined ? undefined : DEVICE_PROPERTIES.get(path.resourceId);
      if (property !== undefined) {
        return [{ type: 'DevicePropertyReported', data: { endpoint, property, value: formatTypedValue(value), time, source } }];
      }
      if (path.resourceId === 9 && number !== undefined) {
        return [{ type: 'MeasurementCreated', data: { endpoint, type: 'c8y_Battery', series: 'level', value: number, unit: '%', time, source } }];
      }
      return [];
    }
    case 4:
      if (path.resourceId === 2 && number !== undefined) {
        return [{ type: 'MeasurementCreated', data: { endpoint, type: 'c8y_SignalStrength', series: 'rssi', value: number, unit: 'dBm', time, source } }];
      }
      return [];
    case 5: {
      if (number === undefined) return [];
      if (path.resourceId === 3) {
        const text = `Firmware update state: ${FIRMWARE_STATES[number] ?? `unknown (${number})`}`;
        return [{ type: 'EventCreated', data: { endpoint, type: 'c8y_FirmwareUpdateState', text, time, attributes: { code: number }, source } }];
      }
      if (path.resourceId === 5) {
        const text = `Firmware update result: ${FIRMWARE_RESULTS[number] ?? `unknown (${number})`}`;
        return [{ type: 'EventCreated', data: { endpoint, type: 'c8y_FirmwareUpdateResult', text, time, attributes: { code: number }, source } }];
      }
      return [];
    }
    default:
      return [];
  }
}

/** Positions from the object 6 values of one message, one per instance that has both coordinates. */
export function defaultPositions(endpoint: string, values: readonly TimedValue[]): TelemetryEvent[] {
  const byInstance = new Map<number, Map<number, TimedValue>>();
  for (const timed of values) {
    const { objectId, instanceId, resourceId, resourceInstanceId } = timed.path;
    if (objectId !== 6 || instanceId === undefined || resourceId === undefined || resourceInstanceId !== undefined) continue;
    const resources = byInstance.get(instanceId) ?? new Map<number, TimedValue>();
    resources.set(resourceId, timed);
    byInstance.set(instanceId, resources);
  }
  const events: TelemetryEvent[] = [];
  for (const [instanceId, resources] of byInstance) {
    const latitude = resources.get(0);
    const longitude = resources.get(1);
    const lat = latitude === undefined ? undefined : measurementNumber(latitude.value);
    const lng = longitude === undefined ? undefined : measurementNumber(longitude.value);
    if (latitude === undefined || lat === undefined || lng === undefined) continue;
    const altitude = resources.get(2);
    const alt = altitude === undefined ? null : (measurementNumber(altitude.value) ?? null);
    const timestamp = resources.get(5);
    const time = timestampTime(timestamp?.value) ?? latitude.time;
    const source: MappingSource = { path: `/6/${instanceId}`, protocolVersion: null, rule: 'default' };
    events.push(
      { type: 'DevicePositionReported', data: { endpoint, latitude: lat, longitude: lng, altitude: alt, time, source } },
      {
        type: 'EventCreated',
        data: { endpoint, type: 'c8y_LocationUpdate', text: 'Location updated', time, attributes: { lat, lng, alt }, source },
      },
    );
  }
  return events;
}

/** Object 6's Timestamp (resource 5, Time: seconds since the epoch) as ISO 8601, if it is a usable time. */
function timestampTime(value: LwM2mValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  const seconds = measurementNumber(value);
  return seconds === undefined ? undefined : isoFromSeconds(seconds);
}

/** ISO 8601 of seconds since the epoch, or undefined when they are outside what a Date holds. */
export function isoFromSeconds(seconds: number): string | undefined {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
