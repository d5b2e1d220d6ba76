import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import type { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';
import { telemetryStream } from '../../../src/domain/telemetry/TelemetryEvents.ts';
import { DeviceEventQueries } from '../../../src/projections/deviceevents/DeviceEventQueries.ts';
import { deviceEventsProjection } from '../../../src/projections/deviceevents/DeviceEventsProjection.ts';
import { MeasurementQueries } from '../../../src/projections/measurements/MeasurementQueries.ts';
import { measurementsProjection } from '../../../src/projections/measurements/MeasurementsProjection.ts';
import type { Projector } from '../../../src/projections/Projector.ts';
import type { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { openProjectionTestBed, type ProjectionTestBed } from '../ProjectionTestBed.ts';

const source = { path: '/3303/0/5700', protocolVersion: '1.1', rule: 'sendMeasurement' };

function measurement(endpoint: string, value: number, time: string, series = 'T'): NewEvent {
  return { type: 'MeasurementCreated', data: { endpoint, type: 'c8y_TemperatureMeasurement', series, value, unit: 'Cel', time, source } };
}

let bed: ProjectionTestBed;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;

beforeEach(async () => {
  bed = await openProjectionTestBed('measurements-', [measurementsProjection, deviceEventsProjection]);
  ({ store, database, projector } = bed);
});

afterEach(() => bed.close());

describe('MeasurementQueries', () => {
  it('pages in time order (not arrival order) with cursors, filtered by series and time range', async () => {
    // Device times arrive out of order: a buffered reading comes after a live one.
    await store.appendToStream(
      telemetryStream('a'),
      [
        measurement('a', 3, '2026-01-01T00:03:00.000Z'),
        measurement('a', 1, '2026-01-01T00:01:00.000Z'),
        measurement('a', 2, '2026-01-01T00:02:00.000Z'),
        measurement('a', 4, '2026-01-01T00:04:00.000Z'),
        measurement('a', 99, '2026-01-01T00:02:00.000Z', 'other'),
      ],
      'any',
    );
    const last = await store.appendToStream(telemetryStream('b'), [measurement('b', 5, '2026-01-01T00:01:30.000Z')], 'any');
    await projector.waitFor(last.position);
    const queries = new MeasurementQueries(database.db);

    const first = queries.page({ endpoint: 'a', series: 'T' }, 2);
    expect(first.measurements.map((m) => m.value)).toEqual([1, 2]);
    expect(first.hasNextPage).toBe(true);
    const second = queries.page({ endpoint: 'a', series: 'T' }, 2, first.endCursor);
    expect(second.measurements.map((m) => m.value)).toEqual([3, 4]);
    expect(second.hasNextPage).toBe(false);

    const range = queries.page({ endpoint: 'a', from: new Date('2026-01-01T00:02:00Z'), to: new Date('2026-01-01T00:04:00Z') }, 10);
    expect(range.measurements.map((m) => m.value)).toEqual([2, 99, 3]);
    expect(queries.page({}, 10).measurements.map((m) => m.endpoint)).toEqual(['a', 'b', 'a', 'a', 'a', 'a']);
    expect(queries.at(last.position)?.value).toBe(5);
    expect(queries.count('a')).toBe(5);
    expect(() => queries.page({}, 10, 'not-a-cursor')).toThrow(DomainError);
  });

  it('pages device events by type in time order', async () => {
    const event = (text: string, time: string): NewEvent => ({
      type: 'EventCreated',
      data: { endpoint: 'a', type: 'c8y_DoorEvent', text, time, attributes: {}, source: { ...source, rule: 'sendEvent' } },
    });
    const last = await store.appendToStream(
      telemetryStream('a'),
      [event('second', '2026-01-01T00:02:00.000Z'), event('first', '2026-01-01T00:01:00.000Z')],
      'any',
    );
    await projector.waitFor(last.position);
    const events = new DeviceEventQueries(database.db);
    const page = events.page({ endpoint: 'a', type: 'c8y_DoorEvent' }, 1);
    expect(page.events.map((e) => e.text)).toEqual(['first']);
    expect(events.page({ endpoint: 'a' }, 5, page.endCursor).events.map((e) => e.text)).toEqual(['second']);
    expect(events.page({ endpoint: 'a', type: 'c8y_Other' }, 5).events).toEqual([]);
  });
});
