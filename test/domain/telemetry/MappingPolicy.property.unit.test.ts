import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PathValue } from '../../../src/domain/lwm2m/LwM2mValue.ts';
import type { ResourceFunctionalities } from '../../../src/domain/protocols/Functionality.ts';
import type { DeviceProtocolMapping } from '../../../src/domain/telemetry/MappingPolicy.ts';
import { mapReceivedValues } from '../../../src/domain/telemetry/MappingPolicy.ts';
import { lwm2mValueArbitrary } from '../lwm2m/content/arbitraries.ts';

const receivedAt = '2026-03-01T12:00:00.000Z';

/** Every functionality on 3303's resources, whatever the values' types: the policy must cope with anything a device sends. */
const protocol: DeviceProtocolMapping = {
  version: '1.1',
  resources: new Map<number, ResourceFunctionalities>([
    [
      5700,
      {
        sendMeasurement: { kind: 'sendMeasurement', type: 'c8y_T', series: 'T', unit: 'Cel' },
        sendEvent: { kind: 'sendEvent', type: 'c8y_E', text: 'value {value}' },
        createAlarm: { kind: 'createAlarm', severity: 'MINOR', type: 'c8y_A', status: 'ACTIVE', text: '{value}' },
      },
    ],
    [
      5701,
      {
        customAction: {
          kind: 'customAction',
          action: { name: 'decodePackedReading', fields: [{ type: 'float32', measurementType: 'c8y_P', series: 'P', unit: '', scale: 1 }] },
        },
      },
    ],
    [5702, { customAction: { kind: 'customAction', action: { name: 'mapToDeviceProperty', property: 'p' } } }],
  ]),
};

const pathValue: fc.Arbitrary<PathValue> = fc
  .tuple(
    fc.constantFrom(3, 4, 5, 6, 3303),
    fc.integer({ min: 0, max: 2 }),
    fc.constantFrom(0, 1, 2, 3, 5, 9, 5700, 5701, 5702),
    lwm2mValueArbitrary(),
    fc.option(fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: 0, max: 2 ** 34 })), { nil: undefined }),
  )
  .map(([objectId, instanceId, resourceId, value, time]) =>
    time === undefined ? { path: { objectId, instanceId, resourceId }, value } : { path: { objectId, instanceId, resourceId }, value, time },
  );

describe('MappingPolicy on any values', () => {
  it('never throws, records only finite measurements at valid times, and names every source path', () => {
    fc.assert(
      fc.property(fc.array(pathValue, { maxLength: 8 }), (values) => {
        const decision = mapReceivedValues({ endpoint: 'dev', values, receivedAt, protocolOf: (objectId) => (objectId === 3303 ? protocol : undefined) });
        for (const event of decision.telemetry) {
          expect(Number.isNaN(Date.parse(event.data.time))).toBe(false);
          expect(event.data.source.path).toMatch(/^\/\d+\/\d+(\/\d+)?$/);
          if (event.type === 'MeasurementCreated') expect(Number.isFinite(event.data.value)).toBe(true);
          if (event.type === 'DevicePositionReported') {
            expect(Number.isFinite(event.data.latitude) && Number.isFinite(event.data.longitude)).toBe(true);
          }
        }
        // One alarm command per 5700 value, whatever its type.
        expect(decision.alarms).toHaveLength(values.filter((v) => v.path.objectId === 3303 && v.path.resourceId === 5700).length);
      }),
    );
  });
});
