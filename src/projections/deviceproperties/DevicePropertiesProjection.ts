/**
 * The devices' reported properties (device information such as manufacturer and serial number, and
 * properties mapped by custom actions) and their last position, from `DevicePropertyReported` and
 * `DevicePositionReported` on the telemetry streams. The last reported value in log order wins.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { TelemetryEvent } from '../../domain/telemetry/TelemetryEvents.ts';
import { telemetryStreamPrefix } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';

export const devicePropertiesProjection: Projection = {
  name: 'device-properties',
  version: 1,
  groupCommit: true,
  filter: { streamPrefixes: [telemetryStreamPrefix], eventTypes: ['DevicePropertyReported', 'DevicePositionReported'] },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS device_properties (
      endpoint TEXT NOT NULL,
      property TEXT NOT NULL,
      value TEXT NOT NULL,
      time TEXT NOT NULL,
      source TEXT NOT NULL,
      PRIMARY KEY (endpoint, property)
    )`);
    db.exec(`CREATE TABLE IF NOT EXISTS device_positions (
      endpoint TEXT PRIMARY KEY,
      latitude REAL NOT NULL,
      longitude REAL NOT NULL,
      altitude REAL,
      time TEXT NOT NULL
    )`);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS device_properties');
    db.exec('DROP TABLE IF EXISTS device_positions');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<TelemetryEvent>(recorded);
    switch (event.type) {
      case 'DevicePropertyReported': {
        const { endpoint, property, value, time, source } = event.data;
        prepared(
          db,
          `INSERT INTO device_properties (endpoint, property, value, time, source) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(endpoint, property) DO UPDATE SET value = excluded.value, time = excluded.time, source = excluded.source`,
        ).run(endpoint, property, value, time, JSON.stringify(source));
        return;
      }
      case 'DevicePositionReported': {
        const { endpoint, latitude, longitude, altitude, time } = event.data;
        prepared(
          db,
          `INSERT INTO device_positions (endpoint, latitude, longitude, altitude, time) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(endpoint) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude, altitude = excluded.altitude, time = excluded.time`,
        ).run(endpoint, latitude, longitude, altitude, time);
        return;
      }
      case 'MeasurementCreated':
      case 'EventCreated':
        return;
    }
  },
};
