/**
 * The devices read model: one row per device with its redacted registration data and status, built
 * from the registration events on `device-<endpoint>` streams. An import's staged events wait,
 * redacted, for its commit (StagedChanges.ts): its devices appear all in one transaction.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceEvent } from '../../domain/devices/DeviceEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceImportEvent } from '../../domain/devices/DeviceImportEvents.ts';
import { importStreamPrefix, stagedImportOf } from '../../domain/imports/StagedImports.ts';
import type { Projection } from '../Projection.ts';
import type { DeviceStatus, RedactedRegistration } from './DeviceView.ts';
import { redactRegistration, redactRegistrationChanges } from './DeviceView.ts';
import { readRegistration } from './DeviceRows.ts';
import { prepared } from '../PreparedStatements.ts';
import { StagedChanges } from '../StagedChanges.ts';

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

const staged = new StagedChanges<RegistrationChange>('device_import_staged');

export const devicesProjection: Projection = {
  name: 'devices',
  // 2: an import's events count at its commit.
  version: 2,
  filter: { streamPrefixes: [deviceStreamPrefix, importStreamPrefix], eventTypes },
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
    staged.create(db);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS devices');
    staged.drop(db);
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const at = recorded.recordedAt.toISOString();
    if (recorded.stream.startsWith(importStreamPrefix)) {
      const event = toDomainEvent<DeviceImportEvent>(recorded);
      if (event.type === 'DeviceImportCommitted') applyCommit(db, event.data.importId, at, recorded.position);
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
        const importId = stagedImportOf(event.data);
        if (importId === undefined) applyChange(db, change, stamp);
        else staged.stage(db, importId, recorded, change);
        return;
      }
      case 'DeviceDecommissioned':
        setStatus(db, event.data.endpoint, 'decommissioned', stamp);
        return;
    }
  },
};

/**
 * Applies an import's staged changes in log order, stamped with the commit's time and position: the
 * row then reflects the log up to the commit, and a subscription to the device hears of it there.
 */
function applyCommit(db: DatabaseSync, importId: string, at: string, position: number): void {
  for (const { change, revision } of staged.take(db, importId)) applyChange(db, change, { at, revision, position });
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
