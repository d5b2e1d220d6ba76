/**
 * The devices read model: one row per device with its redacted registration data and status, built
 * from the registration events on `device-<endpoint>` streams.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/CommandHandler.ts';
import type { DeviceEvent } from '../../domain/devices/DeviceEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { Projection } from '../Projection.ts';
import type { DeviceStatus, RedactedRegistration } from './DeviceView.ts';
import { applyRegistrationChanges, redactRegistration } from './DeviceView.ts';
import { readRegistration } from './DeviceRows.ts';
import { prepared } from '../PreparedStatements.ts';

const deviceEventTypes: readonly DeviceEvent['type'][] = ['DeviceRegistrationImported', 'DeviceRegistrationUpdated', 'DeviceDecommissioned'];

export const devicesProjection: Projection = {
  name: 'devices',
  version: 1,
  filter: { streamPrefixes: [deviceStreamPrefix], eventTypes: deviceEventTypes },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS devices (
      endpoint TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      name TEXT NOT NULL,
      external_id TEXT NOT NULL,
      security_mode TEXT NOT NULL,
      registration TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      revision INTEGER NOT NULL,
      position INTEGER NOT NULL
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS devices_by_status ON devices (status, endpoint)');
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS devices');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<DeviceEvent>(recorded);
    const at = recorded.recordedAt.toISOString();
    switch (event.type) {
      case 'DeviceRegistrationImported': {
        const registration = redactRegistration(event.data.registration);
        prepared(db, 
          `INSERT INTO devices (endpoint, status, name, external_id, security_mode, registration, created_at, updated_at, revision, position)
           VALUES (?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(endpoint) DO UPDATE SET status = 'active', name = excluded.name, external_id = excluded.external_id,
             security_mode = excluded.security_mode, registration = excluded.registration, updated_at = excluded.updated_at,
             revision = excluded.revision, position = excluded.position`,
        ).run(
          registration.endpoint,
          registration.name,
          registration.externalId,
          registration.securityMode,
          JSON.stringify(registration),
          at,
          at,
          recorded.revision,
          recorded.position,
        );
        return;
      }
      case 'DeviceRegistrationUpdated': {
        const current = readRegistration(db, event.data.endpoint);
        if (!current) return;
        writeRegistration(db, applyRegistrationChanges(current, event.data.changes), at, recorded);
        return;
      }
      case 'DeviceDecommissioned':
        setStatus(db, event.data.endpoint, 'decommissioned', at, recorded);
        return;
    }
  },
};

function writeRegistration(db: DatabaseSync, registration: RedactedRegistration, at: string, recorded: RecordedEvent): void {
  prepared(db, 
    'UPDATE devices SET name = ?, external_id = ?, security_mode = ?, registration = ?, updated_at = ?, revision = ?, position = ? WHERE endpoint = ?',
  ).run(
    registration.name,
    registration.externalId,
    registration.securityMode,
    JSON.stringify(registration),
    at,
    recorded.revision,
    recorded.position,
    registration.endpoint,
  );
}

function setStatus(db: DatabaseSync, endpoint: string, status: DeviceStatus, at: string, recorded: RecordedEvent): void {
  prepared(db, 'UPDATE devices SET status = ?, updated_at = ?, revision = ?, position = ? WHERE endpoint = ?').run(
    status,
    at,
    recorded.revision,
    recorded.position,
    endpoint,
  );
}
