/**
 * The alarms read model: one row per alarm with its status, severity, count and the times of its
 * first and last occurrence, from the devices' `alarms-<endpoint>` streams.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { AlarmEvent } from '../../domain/telemetry/AlarmEvents.ts';
import { ALARM_EVENT_TYPES, alarmStreamPrefix } from '../../domain/telemetry/AlarmEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';
import { recordedAtText } from '../RecordedAt.ts';

export const alarmsProjection: Projection = {
  name: 'alarms',
  version: 1,
  filter: { streamPrefixes: [alarmStreamPrefix], eventTypes: ALARM_EVENT_TYPES },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS alarms (
      alarm_id TEXT PRIMARY KEY,
      endpoint TEXT NOT NULL,
      type TEXT NOT NULL,
      severity TEXT NOT NULL,
      status TEXT NOT NULL,
      text TEXT NOT NULL,
      count INTEGER NOT NULL,
      first_time TEXT NOT NULL,
      last_time TEXT NOT NULL,
      source TEXT NOT NULL,
      raised_position INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS alarms_by_position ON alarms (raised_position)');
    db.exec('CREATE INDEX IF NOT EXISTS alarms_by_endpoint ON alarms (endpoint, raised_position)');
    db.exec('CREATE INDEX IF NOT EXISTS alarms_by_status ON alarms (status, raised_position)');
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS alarms');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<AlarmEvent>(recorded);
    const at = recordedAtText(recorded);
    switch (event.type) {
      case 'AlarmRaised': {
        const data = event.data;
        prepared(
          db,
          `INSERT INTO alarms (alarm_id, endpoint, type, severity, status, text, count, first_time, last_time, source, raised_position, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
        ).run(data.alarmId, data.endpoint, data.type, data.severity, data.status, data.text, data.time, data.time, JSON.stringify(data.source), recorded.position, at);
        return;
      }
      case 'AlarmCountIncreased':
        prepared(db, 'UPDATE alarms SET count = ?, last_time = ?, text = ?, updated_at = ? WHERE alarm_id = ?').run(
          event.data.count,
          event.data.time,
          event.data.text,
          at,
          event.data.alarmId,
        );
        return;
      case 'AlarmAcknowledged':
        prepared(db, "UPDATE alarms SET status = 'ACKNOWLEDGED', updated_at = ? WHERE alarm_id = ?").run(at, event.data.alarmId);
        return;
      case 'AlarmCleared':
        prepared(db, "UPDATE alarms SET status = 'CLEARED', updated_at = ? WHERE alarm_id = ?").run(at, event.data.alarmId);
        return;
    }
  },
};
