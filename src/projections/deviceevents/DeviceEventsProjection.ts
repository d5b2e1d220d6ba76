/**
 * The device events read model (the platform's "events", not the event store's): one row per
 * `EventCreated` on the devices' telemetry streams, in time order.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import type { EventCreated } from '../../domain/telemetry/TelemetryEvents.ts';
import { telemetryStreamPrefix } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';

export const deviceEventsProjection: Projection = {
  name: 'device-events',
  version: 1,
  groupCommit: true,
  filter: { streamPrefixes: [telemetryStreamPrefix], eventTypes: ['EventCreated'] },
  queryIndexes: [
    'CREATE INDEX IF NOT EXISTS device_events_by_type ON device_events (endpoint, type, time_ms, position)',
    'CREATE INDEX IF NOT EXISTS device_events_by_time ON device_events (endpoint, time_ms, position)',
  ],
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS device_events (
      position INTEGER PRIMARY KEY,
      endpoint TEXT NOT NULL,
      type TEXT NOT NULL,
      text TEXT NOT NULL,
      time TEXT NOT NULL,
      time_ms INTEGER NOT NULL,
      attributes TEXT NOT NULL,
      source TEXT NOT NULL
    )`);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS device_events');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    if (recorded.type !== 'EventCreated') return;
    const data = recorded.data as unknown as EventCreated;
    prepared(db, 'INSERT INTO device_events (position, endpoint, type, text, time, time_ms, attributes, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      recorded.position,
      data.endpoint,
      data.type,
      data.text,
      data.time,
      Date.parse(data.time),
      JSON.stringify(data.attributes),
      JSON.stringify(data.source),
    );
  },
};
