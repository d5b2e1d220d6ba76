/**
 * The latest value of each resource (and resource instance) of each device, typed
 * (`Device.resources`), from `ResourceValuesReported`. A value replaces the stored one unless it is
 * older by the device's time (a Send of historical values must not overwrite a newer notification).
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { ResourceValueEvent } from '../../domain/observations/ResourceValueEvents.ts';
import { resourceStreamPrefix } from '../../domain/observations/ResourceValueEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';

export const resourcesProjection: Projection = {
  name: 'resources',
  version: 1,
  groupCommit: true,
  filter: { streamPrefixes: [resourceStreamPrefix], eventTypes: ['ResourceValuesReported'] },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS resource_values (
      endpoint TEXT NOT NULL,
      path TEXT NOT NULL,
      type TEXT NOT NULL,
      text TEXT NOT NULL,
      time TEXT NOT NULL,
      device_time INTEGER NOT NULL,
      source TEXT NOT NULL,
      PRIMARY KEY (endpoint, path)
    )`);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS resource_values');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<ResourceValueEvent>(recorded);
    const { endpoint, values, receivedAt, source } = event.data;
    const upsert = prepared(
      db,
      `INSERT INTO resource_values (endpoint, path, type, text, time, device_time, source) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(endpoint, path) DO UPDATE SET type = excluded.type, text = excluded.text, time = excluded.time, device_time = excluded.device_time, source = excluded.source
       WHERE excluded.time >= resource_values.time`,
    );
    for (const value of values) upsert.run(endpoint, value.path, value.value.type, value.value.text, value.time ?? receivedAt, value.time === null ? 0 : 1, source);
  },
};
