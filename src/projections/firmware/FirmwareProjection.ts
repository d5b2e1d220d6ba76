/**
 * The firmware read model: the repository's firmwares from `firmwares`, and each device's
 * updates from `firmware-<endpoint>` with their progress (the last step and every step with its time)
 * and outcome, with the version the device reported beside the operator's label.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { FirmwareRepositoryEvent } from '../../domain/firmware/FirmwareRepositoryEvents.ts';
import { firmwareRepositoryStream } from '../../domain/firmware/FirmwareRepositoryEvents.ts';
import type { FirmwareUpdateEvent } from '../../domain/firmware/FirmwareUpdateEvents.ts';
import { firmwareUpdateStreamPrefix } from '../../domain/firmware/FirmwareUpdateEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';

export const firmwareProjection: Projection = {
  name: 'firmware',
  // 2: the version the device reported after success.
  version: 2,
  filter: { streamPrefixes: [firmwareRepositoryStream, firmwareUpdateStreamPrefix] },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS firmwares (
      firmware_id TEXT PRIMARY KEY,
      position INTEGER NOT NULL,
      name TEXT NOT NULL,
      version TEXT NOT NULL,
      kind TEXT NOT NULL,
      file_name TEXT,
      sha256 TEXT,
      size INTEGER,
      url TEXT,
      added_by TEXT NOT NULL,
      added_at TEXT NOT NULL
    )`);
    db.exec(`CREATE TABLE IF NOT EXISTS firmware_updates (
      update_id TEXT PRIMARY KEY,
      position INTEGER NOT NULL,
      endpoint TEXT NOT NULL,
      firmware_id TEXT NOT NULL,
      name TEXT NOT NULL,
      version TEXT NOT NULL,
      method TEXT NOT NULL,
      package_uri TEXT,
      status TEXT NOT NULL,
      step TEXT,
      steps TEXT NOT NULL,
      reason TEXT,
      update_result INTEGER,
      reported_version TEXT,
      requested_by TEXT NOT NULL,
      requested_at TEXT NOT NULL,
      deadline TEXT NOT NULL,
      ended_at TEXT
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS firmware_updates_by_endpoint ON firmware_updates (endpoint, position)');
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS firmwares');
    db.exec('DROP TABLE IF EXISTS firmware_updates');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<FirmwareRepositoryEvent | FirmwareUpdateEvent>(recorded);
    switch (event.type) {
      case 'FirmwareAdded': {
        const { data } = event;
        const stored = data.source.kind === 'stored' ? data.source : undefined;
        prepared(db, `INSERT OR REPLACE INTO firmwares (firmware_id, position, name, version, kind, file_name, sha256, size, url, added_by, added_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
          data.firmwareId,
          recorded.position,
          data.name,
          data.version,
          data.source.kind,
          stored?.fileName ?? null,
          stored?.sha256 ?? null,
          stored?.size ?? null,
          data.source.kind === 'external' ? data.source.url : null,
          data.addedBy,
          data.addedAt,
        );
        return;
      }
      case 'FirmwareRemoved':
        prepared(db, 'DELETE FROM firmwares WHERE firmware_id = ?').run(event.data.firmwareId);
        return;
      case 'FirmwareUpdateRequested': {
        const { data } = event;
        prepared(db, `INSERT OR REPLACE INTO firmware_updates (update_id, position, endpoint, firmware_id, name, version, method, package_uri, status, step, steps, reason, update_result, requested_by, requested_at, deadline, ended_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', NULL, '[]', NULL, NULL, ?, ?, ?, NULL)`).run(
          data.updateId,
          recorded.position,
          data.endpoint,
          data.firmwareId,
          data.name,
          data.version,
          data.method,
          data.packageUri,
          data.requestedBy,
          data.requestedAt,
          data.deadline,
        );
        return;
      }
      case 'FirmwareUpdateProgressed':
        prepared(db, `UPDATE firmware_updates SET step = ?, steps = json_insert(steps, '$[#]', json_object('step', ?, 'at', ?)) WHERE update_id = ?`).run(
          event.data.step,
          event.data.step,
          event.data.at,
          event.data.updateId,
        );
        return;
      case 'FirmwareUpdateSucceeded':
        // Before the reported version was kept, success required the device to report the label itself.
        prepared(db, `UPDATE firmware_updates SET status = 'succeeded', reported_version = ?, ended_at = ? WHERE update_id = ?`).run(
          event.data.reportedVersion === undefined ? event.data.version : event.data.reportedVersion,
          event.data.at,
          event.data.updateId,
        );
        return;
      case 'FirmwareUpdateFailed':
        prepared(db, `UPDATE firmware_updates SET status = 'failed', reason = ?, update_result = ?, ended_at = ? WHERE update_id = ?`).run(
          event.data.reason,
          event.data.updateResult,
          event.data.at,
          event.data.updateId,
        );
        return;
    }
  },
};
