/**
 * The devices read model: one row per device with its redacted registration data and status, built
 * from the registration events on `device-<endpoint>` streams.
 *
 * An import's staged events (DeviceImportEvents.ts) wait in `device_import_staged`, redacted, until
 * the import's commit, which applies them all in one step; an import that never commits leaves them
 * there and no device row.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/CommandHandler.ts';
import type { DeviceEvent } from '../../domain/devices/DeviceEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceImportEvent } from '../../domain/devices/DeviceImportEvents.ts';
import { deviceImportStreamPrefix, stagedImportOf } from '../../domain/devices/DeviceImportEvents.ts';
import type { Projection } from '../Projection.ts';
import type { DeviceStatus, RedactedRegistration } from './DeviceView.ts';
import { redactRegistration, redactRegistrationChanges } from './DeviceView.ts';
import { readRegistration } from './DeviceRows.ts';
import { prepared } from '../PreparedStatements.ts';

const eventTypes: readonly (DeviceEvent | DeviceImportEvent)['type'][] = [
  'DeviceRegistrationImported',
  'DeviceRegistrationUpdated',
  'DeviceDecommissioned',
  'DeviceImportCommitted',
];

/** Where a change lands in the table: the event's own revision and position, at a time. */
interface RowStamp {
  readonly at: string;
  readonly revision: number;
  readonly position: number;
}

/** A registration event, redacted: what the table keeps of it while its import is not committed. */
type RegistrationChange =
  | { readonly registration: RedactedRegistration }
  | { readonly endpoint: string; readonly changes: Partial<RedactedRegistration> };

export const devicesProjection: Projection = {
  name: 'devices',
  // 2: an import's events count at its commit.
  version: 2,
  filter: { streamPrefixes: [deviceStreamPrefix, deviceImportStreamPrefix], eventTypes },
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
    db.exec(`CREATE TABLE IF NOT EXISTS device_import_staged (
      position INTEGER PRIMARY KEY,
      import_id TEXT NOT NULL,
      revision INTEGER NOT NULL,
      change TEXT NOT NULL
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS device_import_staged_by_import ON device_import_staged (import_id, position)');
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS devices');
    db.exec('DROP TABLE IF EXISTS device_import_staged');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const at = recorded.recordedAt.toISOString();
    if (recorded.stream.startsWith(deviceImportStreamPrefix)) {
      const event = toDomainEvent<DeviceImportEvent>(recorded);
      if (event.type === 'DeviceImportCommitted') applyCommit(db, event.data.importId, at);
      return;
    }
    const event = toDomainEvent<DeviceEvent>(recorded);
    const stamp = { at, revision: recorded.revision, position: recorded.position };
    switch (event.type) {
      case 'DeviceRegistrationImported':
      case 'DeviceRegistrationUpdated': {
        const change: RegistrationChange =
          event.type === 'DeviceRegistrationImported'
            ? { registration: redactRegistration(event.data.registration) }
            : { endpoint: event.data.endpoint, changes: redactRegistrationChanges(event.data.changes) };
        const importId = stagedImportOf(event);
        if (importId === undefined) applyChange(db, change, stamp);
        else prepared(db, 'INSERT INTO device_import_staged (position, import_id, revision, change) VALUES (?, ?, ?, ?)').run(recorded.position, importId, recorded.revision, JSON.stringify(change));
        return;
      }
      case 'DeviceDecommissioned':
        setStatus(db, event.data.endpoint, 'decommissioned', stamp);
        return;
    }
  },
};

/** Applies an import's staged changes in log order, stamped with the commit's time. */
function applyCommit(db: DatabaseSync, importId: string, at: string): void {
  const rows = prepared(db, 'SELECT position, revision, change FROM device_import_staged WHERE import_id = ? ORDER BY position').all(importId);
  for (const row of rows) {
    applyChange(db, JSON.parse(String(row['change'])) as RegistrationChange, { at, revision: Number(row['revision']), position: Number(row['position']) });
  }
  prepared(db, 'DELETE FROM device_import_staged WHERE import_id = ?').run(importId);
}

function applyChange(db: DatabaseSync, change: RegistrationChange, stamp: RowStamp): void {
  if ('registration' in change) {
    insertRegistration(db, change.registration, stamp);
    return;
  }
  const current = readRegistration(db, change.endpoint);
  if (current) writeRegistration(db, { ...current, ...change.changes }, stamp);
}

function insertRegistration(db: DatabaseSync, registration: RedactedRegistration, stamp: RowStamp): void {
  prepared(
    db,
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
    stamp.at,
    stamp.at,
    stamp.revision,
    stamp.position,
  );
}

function writeRegistration(db: DatabaseSync, registration: RedactedRegistration, stamp: RowStamp): void {
  prepared(
    db,
    'UPDATE devices SET name = ?, external_id = ?, security_mode = ?, registration = ?, updated_at = ?, revision = ?, position = ? WHERE endpoint = ?',
  ).run(
    registration.name,
    registration.externalId,
    registration.securityMode,
    JSON.stringify(registration),
    stamp.at,
    stamp.revision,
    stamp.position,
    registration.endpoint,
  );
}

function setStatus(db: DatabaseSync, endpoint: string, status: DeviceStatus, stamp: RowStamp): void {
  prepared(db, 'UPDATE devices SET status = ?, updated_at = ?, revision = ?, position = ? WHERE endpoint = ?').run(
    status,
    stamp.at,
    stamp.revision,
    stamp.position,
    endpoint,
  );
}
