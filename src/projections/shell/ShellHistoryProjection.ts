/**
 * The device shell's history: one row per queued command line, from the
 * `shell-<endpoint>` streams. The line's status and result live in the operations read model (or for
 * `fwupdate`, the firmware read model) and are joined by id when read (`ShellHistoryQueries`), as the
 * operation or update may end before its line is recorded.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { ShellHistoryEvent } from '../../domain/shell/ShellHistoryEvents.ts';
import { shellStreamPrefix } from '../../domain/shell/ShellHistoryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import type { Projection } from '../Projection.ts';

export const shellHistoryProjection: Projection = {
  name: 'shell-history',
  // 2: a line carries an operation or a firmware update.
  version: 2,
  filter: { streamPrefixes: [shellStreamPrefix] },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS shell_lines (
      position INTEGER PRIMARY KEY,
      endpoint TEXT NOT NULL,
      run_id TEXT NOT NULL,
      line INTEGER NOT NULL,
      text TEXT NOT NULL,
      command TEXT NOT NULL,
      operation_id TEXT,
      operation_kind TEXT,
      firmware_update_id TEXT,
      requested_by TEXT NOT NULL,
      requested_at TEXT NOT NULL,
      correlation_id TEXT
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS shell_lines_by_endpoint ON shell_lines (endpoint, position)');
    db.exec('CREATE INDEX IF NOT EXISTS shell_lines_by_operation ON shell_lines (operation_id)');
    db.exec('CREATE INDEX IF NOT EXISTS shell_lines_by_firmware_update ON shell_lines (firmware_update_id)');
    db.exec('CREATE INDEX IF NOT EXISTS shell_lines_by_run ON shell_lines (run_id, position)');
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS shell_lines');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<ShellHistoryEvent>(recorded);
    if (event.type !== 'ShellCommandQueued') return;
    const data = event.data;
    const operation = 'operationId' in data ? data : undefined;
    prepared(
      db,
      `INSERT OR IGNORE INTO shell_lines (position, endpoint, run_id, line, text, command, operation_id, operation_kind, firmware_update_id, requested_by, requested_at, correlation_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      recorded.position,
      data.endpoint,
      data.runId,
      data.line,
      data.text,
      data.command,
      operation?.operationId ?? null,
      operation?.operationKind ?? null,
      'firmwareUpdateId' in data ? data.firmwareUpdateId : null,
      data.requestedBy,
      data.requestedAt,
      recorded.metadata.correlationId ?? null,
    );
  },
};
