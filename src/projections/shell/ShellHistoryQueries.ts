/**
 * Reads the device shell's history, oldest line first, in pages keyed by global position; each line
 * with its operation as the operations read model has it now (status, response, result), or for
 * `fwupdate` its firmware update as the firmware read model has it; none while that projection has
 * not caught up with it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { prepared } from '../PreparedStatements.ts';
import type { FirmwareQueries, FirmwareUpdateView } from '../firmware/FirmwareQueries.ts';
import type { OperationQueries, OperationView } from '../operations/OperationQueries.ts';

export interface ShellLineRecord {
  readonly position: number;
  readonly endpoint: string;
  readonly runId: string;
  readonly line: number;
  readonly text: string;
  readonly command: string;
  /** The operation that carries the line; null for a `fwupdate` line. */
  readonly operationId: string | null;
  readonly operationKind: string | null;
  /** The firmware update that carries a `fwupdate` line; null for the others. */
  readonly firmwareUpdateId: string | null;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly correlationId: string | null;
  readonly operation: OperationView | undefined;
  readonly firmwareUpdate: FirmwareUpdateView | undefined;
}

export interface ShellHistoryPage {
  readonly lines: readonly ShellLineRecord[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

export class ShellHistoryQueries {
  readonly #db: DatabaseSync;
  readonly #operations: OperationQueries;
  readonly #firmware: FirmwareQueries;

  constructor(db: DatabaseSync, operations: OperationQueries, firmware: FirmwareQueries) {
    this.#db = db;
    this.#operations = operations;
    this.#firmware = firmware;
  }

  /** At most `first` lines of the device after position `afterPosition` (exclusive). */
  page(endpoint: string, first: number, afterPosition: number): ShellHistoryPage {
    const rows = prepared(this.#db, 'SELECT * FROM shell_lines WHERE endpoint = ? AND position > ? ORDER BY position LIMIT ?').all(endpoint, afterPosition, first + 1);
    const total = prepared(this.#db, 'SELECT COUNT(*) AS n FROM shell_lines WHERE endpoint = ?').get(endpoint);
    return { lines: rows.slice(0, first).map((row) => this.#toRecord(row)), hasNextPage: rows.length > first, totalCount: Number(total?.['n'] ?? 0) };
  }

  /** The lines of one input, in order. */
  run(runId: string): readonly ShellLineRecord[] {
    return prepared(this.#db, 'SELECT * FROM shell_lines WHERE run_id = ? ORDER BY position').all(runId).map((row) => this.#toRecord(row));
  }

  /** The line that carries the operation, if a shell command queued it. */
  byOperation(operationId: string): ShellLineRecord | undefined {
    const row = prepared(this.#db, 'SELECT * FROM shell_lines WHERE operation_id = ?').get(operationId);
    return row === undefined ? undefined : this.#toRecord(row);
  }

  /** The `fwupdate` line that started the firmware update, if a shell command started it. */
  byFirmwareUpdate(updateId: string): ShellLineRecord | undefined {
    const row = prepared(this.#db, 'SELECT * FROM shell_lines WHERE firmware_update_id = ?').get(updateId);
    return row === undefined ? undefined : this.#toRecord(row);
  }

  #toRecord(row: Record<string, unknown>): ShellLineRecord {
    const operationId = textOrNull(row['operation_id']);
    const firmwareUpdateId = textOrNull(row['firmware_update_id']);
    return {
      position: Number(row['position']),
      endpoint: String(row['endpoint']),
      runId: String(row['run_id']),
      line: Number(row['line']),
      text: String(row['text']),
      command: String(row['command']),
      operationId,
      operationKind: textOrNull(row['operation_kind']),
      firmwareUpdateId,
      requestedBy: String(row['requested_by']),
      requestedAt: new Date(String(row['requested_at'])),
      correlationId: textOrNull(row['correlation_id']),
      operation: operationId === null ? undefined : this.#operations.operation(operationId),
      firmwareUpdate: firmwareUpdateId === null ? undefined : this.#firmware.update(firmwareUpdateId),
    };
  }
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
