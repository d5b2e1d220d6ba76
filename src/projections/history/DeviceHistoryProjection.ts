/**
 * The audit trail of each device: every event on its streams (see DeviceStreamCategories), with time,
 * type, actor, correlation and causation ids, and its data with secrets redacted. An import's staged
 * events join it at the import's commit (StagedChanges.ts), at their own positions.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import type { ImportCommit } from '../../domain/imports/StagedImports.ts';
import { importStreamPrefix, stagedImportOf } from '../../domain/imports/StagedImports.ts';
import type { Projection } from '../Projection.ts';
import { redactedJson, redactedJsonText } from '../SecretRedaction.ts';
import { StagedChanges } from '../StagedChanges.ts';
import { deviceOfEvent, deviceStreamPrefixes } from './DeviceStreamCategories.ts';
import { prepared } from '../PreparedStatements.ts';
import { recordedAtText } from '../RecordedAt.ts';

/** A row of the history but its position and revision, which come with it. */
interface HistoryEntry {
  readonly endpoint: string;
  readonly category: string;
  readonly stream: string;
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string | null;
  readonly correlationId: string | null;
  readonly causationId: string | null;
  /** Redacted, as JSON. */
  readonly data: string;
}

const staged = new StagedChanges<HistoryEntry>('device_history_staged');

export const deviceHistoryProjection: Projection = {
  name: 'device-history',
  // 2: registration, operations and bootstrap streams joined the history; 3: the security audit
  // streams; 4: an import's events join at its commit.
  version: 4,
  filter: { streamPrefixes: [...deviceStreamPrefixes, importStreamPrefix] },
  queryIndexes: ['CREATE INDEX IF NOT EXISTS device_history_by_endpoint ON device_history (endpoint, position)'],
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
    staged.create(db);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS device_history');
    staged.drop(db);
  },
  apply(db: DatabaseSync, event: RecordedEvent): void {
    if (event.stream.startsWith(importStreamPrefix)) {
      // A commit of a CSV import (a DDF import staged nothing here).
      const { importId } = event.data as unknown as ImportCommit;
      for (const { change, revision, position } of staged.take(db, importId)) insertEntry(db, change, revision, position);
      return;
    }
    const owner = deviceOfEvent(event);
    if (!owner) return;
    const entry: HistoryEntry = {
      ...owner,
      stream: event.stream,
      eventId: event.id,
      type: event.type,
      recordedAt: recordedAtText(event),
      actor: event.metadata.actor ?? null,
      correlationId: event.metadata.correlationId ?? null,
      causationId: event.metadata.causationId ?? null,
      data: event.dataJson === undefined ? redactedJson(event.data) : redactedJsonText(event.dataJson),
    };
    const importId = stagedImportOf(event.data as object);
    if (importId === undefined) insertEntry(db, entry, event.revision, event.position);
    else staged.stage(db, importId, event, entry);
  },
};

function insertEntry(db: DatabaseSync, entry: HistoryEntry, revision: number, position: number): void {
  prepared(
    db,
    `INSERT INTO device_history (position, endpoint, category, stream, revision, event_id, type, recorded_at, actor, correlation_id, causation_id, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    position,
    entry.endpoint,
    entry.category,
    entry.stream,
    revision,
    entry.eventId,
    entry.type,
    entry.recordedAt,
    entry.actor,
    entry.correlationId,
    entry.causationId,
    entry.data,
  );
}
