/**
 * The device protocols read model: per object its protocol (name and description of the newest
 * version, creation and last-update times), per version the uploaded model, and per resource the
 * functionalities set on it; from the `protocol-<objectId>` streams. The versions a DDF import
 * staged wait for its commit (StagedChanges.ts), so that a document's objects appear together.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import { compareObjectVersions } from '../../domain/lwm2m/ObjectModel.ts';
import { importStreamPrefix, stagedImportOf } from '../../domain/imports/StagedImports.ts';
import type { DeviceProtocolEvent, DeviceProtocolImportEvent, DeviceProtocolVersionCreated } from '../../domain/protocols/DeviceProtocolEvents.ts';
import { DEVICE_PROTOCOL_EVENT_TYPES, protocolStreamPrefix } from '../../domain/protocols/DeviceProtocolEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';
import { StagedChanges } from '../StagedChanges.ts';

const commitType: DeviceProtocolImportEvent['type'] = 'DeviceProtocolImportCommitted';
const staged = new StagedChanges<DeviceProtocolVersionCreated>('device_protocol_import_staged');

export const deviceProtocolsProjection: Projection = {
  name: 'device-protocols',
  // 2: a DDF import's versions count at its commit.
  version: 2,
  filter: { streamPrefixes: [protocolStreamPrefix, importStreamPrefix], eventTypes: [...DEVICE_PROTOCOL_EVENT_TYPES, commitType] },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS device_protocols (
      object_id INTEGER PRIMARY KEY,
      latest_version TEXT NOT NULL,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`);
    db.exec(`CREATE TABLE IF NOT EXISTS device_protocol_versions (
      object_id INTEGER NOT NULL,
      version TEXT NOT NULL,
      lwm2m_version TEXT NOT NULL,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      model TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (object_id, version)
    )`);
    db.exec(`CREATE TABLE IF NOT EXISTS device_protocol_functionalities (
      object_id INTEGER NOT NULL,
      version TEXT NOT NULL,
      resource_id INTEGER NOT NULL,
      kind TEXT NOT NULL,
      functionality TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (object_id, version, resource_id, kind)
    )`);
    staged.create(db);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS device_protocols');
    db.exec('DROP TABLE IF EXISTS device_protocol_versions');
    db.exec('DROP TABLE IF EXISTS device_protocol_functionalities');
    staged.drop(db);
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    if (recorded.stream.startsWith(importStreamPrefix)) {
      const commit = toDomainEvent<DeviceProtocolImportEvent>(recorded);
      for (const { change } of staged.take(db, commit.data.importId)) createVersion(db, change);
      return;
    }
    const event = toDomainEvent<DeviceProtocolEvent>(recorded);
    switch (event.type) {
      case 'DeviceProtocolVersionCreated': {
        const importId = stagedImportOf(event.data);
        if (importId === undefined) createVersion(db, event.data);
        else staged.stage(db, importId, recorded, event.data);
        return;
      }
      case 'ResourceFunctionalitySet': {
        const { objectId, version, resourceId, functionality, at } = event.data;
        prepared(
          db,
          `INSERT INTO device_protocol_functionalities (object_id, version, resource_id, kind, functionality, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(object_id, version, resource_id, kind) DO UPDATE SET functionality = excluded.functionality, updated_at = excluded.updated_at`,
        ).run(objectId, version, resourceId, functionality.kind, JSON.stringify(functionality), at);
        touchVersion(db, objectId, version, at);
        return;
      }
      case 'ResourceFunctionalityRemoved': {
        const { objectId, version, resourceId, kind, at } = event.data;
        prepared(db, 'DELETE FROM device_protocol_functionalities WHERE object_id = ? AND version = ? AND resource_id = ? AND kind = ?').run(
          objectId,
          version,
          resourceId,
          kind,
        );
        touchVersion(db, objectId, version, at);
        return;
      }
    }
  },
};

function createVersion(db: DatabaseSync, data: DeviceProtocolVersionCreated): void {
  const { objectId, version, lwm2mVersion, name, description, model, createdAt } = data;
  prepared(
    db,
    `INSERT INTO device_protocol_versions (object_id, version, lwm2m_version, name, description, model, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(objectId, version, lwm2mVersion, name, description, JSON.stringify(model), createdAt, createdAt);
  const protocol = prepared(db, 'SELECT latest_version FROM device_protocols WHERE object_id = ?').get(objectId);
  if (protocol === undefined) {
    prepared(
      db,
      'INSERT INTO device_protocols (object_id, latest_version, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(objectId, version, name, description, createdAt, createdAt);
  } else if (compareObjectVersions(version, String(protocol['latest_version'])) > 0) {
    prepared(db, 'UPDATE device_protocols SET latest_version = ?, name = ?, description = ?, updated_at = ? WHERE object_id = ?').run(
      version,
      name,
      description,
      createdAt,
      objectId,
    );
  } else {
    touchProtocol(db, objectId, createdAt);
  }
}

function touchVersion(db: DatabaseSync, objectId: number, version: string, at: string): void {
  prepared(db, 'UPDATE device_protocol_versions SET updated_at = ? WHERE object_id = ? AND version = ?').run(at, objectId, version);
  touchProtocol(db, objectId, at);
}

function touchProtocol(db: DatabaseSync, objectId: number, at: string): void {
  prepared(db, 'UPDATE device_protocols SET updated_at = ? WHERE object_id = ?').run(at, objectId);
}
