/**
 * The measurements read model: one row per `MeasurementCreated` on the devices' telemetry streams,
 * indexed for "this device's measurements of a type and series in a time range", in time order.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import type { MeasurementCreated } from '../../domain/telemetry/TelemetryEvents.ts';
import { telemetryStreamPrefix } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';

export const measurementsProjection: Projection = {
  name: 'measurements',
  version: 1,
  groupCommit: true,
  filter: { streamPrefixes: [telemetryStreamPrefix], eventTypes: ['MeasurementCreated'] },
  queryIndexes: [
    'CREATE INDEX IF NOT EXISTS measurements_by_series ON measurements (endpoint, type, series, time_ms, position)',
    'CREATE INDEX IF NOT EXISTS measurements_by_time ON measurements (endpoint, time_ms, position)',
  ],
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS measurements (
      position INTEGER PRIMARY KEY,
      endpoint TEXT NOT NULL,
      type TEXT NOT NULL,
      series TEXT NOT NULL,
      value REAL NOT NULL,
      unit TEXT NOT NULL,
      time TEXT NOT NULL,
      time_ms INTEGER NOT NULL,
      source TEXT NOT NULL
    )`);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS measurements');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    if (recorded.type !== 'MeasurementCreated') return;
    const data = recorded.data as unknown as MeasurementCreated;
    prepared(
      db,
      'INSERT INTO measurements (position, endpoint, type, series, value, unit, time, time_ms, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(recorded.position, data.endpoint, data.type, data.series, data.value, data.unit, data.time, Date.parse(data.time), JSON.stringify(data.source));
  },
};
