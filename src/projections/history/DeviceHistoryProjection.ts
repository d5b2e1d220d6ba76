/**
 * The audit trail of each device: every event on its streams (see DeviceStreamCategories), with time,
 * type, actor, correlation and causation ids, and its data with secrets redacted.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import type { Projection } from '../Projection.ts';
import { redactSecrets } from '../SecretRedaction.ts';
import { deviceOfEvent, deviceStreamPrefixes } from './DeviceStreamCategories.ts';
import { prepared } from '../PreparedStatements.ts';

export const deviceHistoryProjection: Projection = {
  name: 'device-history',
  // 2: registration, operations and bootstrap streams joined the history; 3: the security audit streams.
  version: 3,
  filter: { streamPrefixes: deviceStreamPrefixes },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS device_history (
      position INTEGER PRIMARY KEY,
      endpoint TEXT NOT NULL,
      category TEXT NOT NULL,
      stream TEXT NOT NULL,
      revision INTEGER NOT NULL,
      event_id TEXT NOT NULL,
      type TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      actor TEXT,
      correlation_id TEXT,
      causation_id TEXT,
      data TEXT NOT NULL
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS device_history_by_endpoint ON device_history (endpoint, position)');
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS device_history');
  },
  apply(db: DatabaseSync, event: RecordedEvent): void {
    const owner = deviceOfEvent(event);
    if (!owner) return;
    prepared(db, 
      `INSERT INTO device_history (position, endpoint, category, stream, revision, event_id, type, recorded_at, actor, correlation_id, causation_id, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      event.position,
      owner.endpoint,
      owner.category,
      event.stream,
      event.revision,
      event.id,
      event.type,
      event.recordedAt.toISOString(),
      event.metadata.actor ?? null,
      event.metadata.correlationId ?? null,
      event.metadata.causationId ?? null,
      JSON.stringify(redactSecrets(event.data)),
    );
  },
};
