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
import { prepared } from '../PreparedStatements.ts';
import { StagedChanges } from '../StagedChanges.ts';
import { recordedAtText } from '../RecordedAt.ts';

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
  queryIndexes: ['CREATE INDEX IF NOT EXISTS devices_by_status ON devices (status, endpoint)'],
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
    staged.create(db);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS devices');
    staged.drop(db);
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    applyEvents(db, [recorded]);
  },
  applyBatch: applyEvents,
};

/**
 * Applies the events in log order. Each row they change is read once and written once, at the end:
 * a device's import and updates in one batch (a rebuild's page, a commit's staged changes) cost one
 * write instead of a read and a write each.
 */
function applyEvents(db: DatabaseSync, events: readonly RecordedEvent[]): void {
  const rows = new DeviceRowBatch(db);
  for (const recorded of events) applyEvent(db, rows, recorded);
  rows.write();
}

function applyEvent(db: DatabaseSync, rows: DeviceRowBatch, recorded: RecordedEvent): void {
  const at = recordedAtText(recorded);
  if (recorded.stream.startsWith(importStreamPrefix)) {
    const event = toDomainEvent<DeviceImportEvent>(recorded);
    if (event.type === 'DeviceImportCommitted') applyCommit(db, rows, event.data.importId, at, recorded.position);
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
      if (importId === undefined) applyChange(rows, change, stamp);
      else staged.stage(db, importId, recorded, change);
      return;
    }
    case 'DeviceDecommissioned': {
      const row = rows.read(event.data.endpoint);
      if (!row) return;
      row.status = 'decommissioned';
      rows.change(event.data.endpoint, stamped(row, stamp));
      return;
    }
  }
}

/**
 * Applies an import's staged changes in log order, stamped with the commit's time and position: the
 * row then reflects the log up to the commit, and a subscription to the device hears of it there.
 */
function applyCommit(db: DatabaseSync, rows: DeviceRowBatch, importId: string, at: string, position: number): void {
  for (const { change, revision } of staged.take(db, importId)) applyChange(rows, change, { at, revision, position });
}

/** `change` is the caller's own, made for this call: its registration becomes the row's. */
function applyChange(rows: DeviceRowBatch, change: RegistrationChange, stamp: RowStamp): void {
  if ('registration' in change) {
    // A device imported again (after its decommissioning) is active again and keeps its creation time.
    const { endpoint } = change.registration;
    const createdAt = rows.read(endpoint)?.createdAt ?? stamp.at;
    rows.change(endpoint, { registration: change.registration, status: 'active', createdAt, updatedAt: stamp.at, revision: stamp.revision, position: stamp.position });
    return;
  }
  const current = rows.read(change.endpoint);
  if (!current) return;
  Object.assign(current.registration, change.changes);
  rows.change(change.endpoint, stamped(current, stamp));
}

function stamped(row: DeviceRow, stamp: RowStamp): DeviceRow {
  row.updatedAt = stamp.at;
  row.revision = stamp.revision;
  row.position = stamp.position;
  return row;
}

/**
 * A row of the `devices` table while a batch changes it, in objects of the batch's own: each event
 * changes it in place (a fleet's updates in a rebuild's page, each a copy of the whole registration
 * otherwise).
 */
interface DeviceRow {
  registration: { -readonly [Field in keyof RedactedRegistration]: RedactedRegistration[Field] };
  status: DeviceStatus;
  createdAt: string;
  updatedAt: string;
  revision: number;
  position: number;
}

/** The rows a batch of events changes: each read at most once, and written once by `write`. */
class DeviceRowBatch {
  readonly #db: DatabaseSync;
  /** By endpoint; undefined for a device without a row. */
  readonly #rows = new Map<string, DeviceRow | undefined>();
  readonly #changed = new Set<string>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  read(endpoint: string): DeviceRow | undefined {
    if (this.#rows.has(endpoint)) return this.#rows.get(endpoint);
    const stored = prepared(this.#db, 'SELECT status, registration, created_at, updated_at, revision, position FROM devices WHERE endpoint = ?').get(endpoint);
    const row: DeviceRow | undefined = stored && {
      registration: JSON.parse(String(stored['registration'])) as RedactedRegistration,
      status: String(stored['status']) as DeviceStatus,
      createdAt: String(stored['created_at']),
      updatedAt: String(stored['updated_at']),
      revision: Number(stored['revision']),
      position: Number(stored['position']),
    };
    this.#rows.set(endpoint, row);
    return row;
  }

  change(endpoint: string, row: DeviceRow): void {
    this.#rows.set(endpoint, row);
    this.#changed.add(endpoint);
  }

  write(): void {
    const upsert = prepared(
      this.#db,
      `INSERT INTO devices (endpoint, status, name, external_id, security_mode, registration, created_at, updated_at, revision, position)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(endpoint) DO UPDATE SET status = excluded.status, name = excluded.name, external_id = excluded.external_id,
         security_mode = excluded.security_mode, registration = excluded.registration, created_at = excluded.created_at,
         updated_at = excluded.updated_at, revision = excluded.revision, position = excluded.position`,
    );
    for (const endpoint of this.#changed) {
      const row = this.#rows.get(endpoint);
      if (!row) continue;
      const { registration } = row;
      upsert.run(
        endpoint,
        row.status,
        registration.name,
        registration.externalId,
        registration.securityMode,
        JSON.stringify(registration),
        row.createdAt,
        row.updatedAt,
        row.revision,
        row.position,
      );
    }
    this.#changed.clear();
  }
}
