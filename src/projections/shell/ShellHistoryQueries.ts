/**
 * Reads the device shell's history, oldest line first, in pages keyed by global position; each line
 * with its operation as the operations read model has it now (status, response, result), or none
 * while the operations projection has not caught up with it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { prepared } from '../PreparedStatements.ts';
import type { OperationQueries, OperationView } from '../operations/OperationQueries.ts';

export interface ShellLineRecord {
  readonly position: number;
  readonly endpoint: string;
  readonly runId: string;
  readonly line: number;
  readonly text: string;
  readonly command: string;
  readonly operationId: string;
  readonly operationKind: string;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly correlationId: string | null;
  readonly operation: OperationView | undefined;
}

export interface ShellHistoryPage {
  readonly lines: readonly ShellLineRecord[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

export class ShellHistoryQueries {
  readonly #db: DatabaseSync;
  readonly #operations: OperationQueries;

  constructor(db: DatabaseSync, operations: OperationQueries) {
    this.#db = db;
    this.#operations = operations;
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

  #toRecord(row: Record<string, unknown>): ShellLineRecord {
    const operationId = String(row['operation_id']);
    const correlationId = row['correlation_id'];
    return {
      position: Number(row['position']),
      endpoint: String(row['endpoint']),
      runId: String(row['run_id']),
      line: Number(row['line']),
      text: String(row['text']),
      command: String(row['command']),
      operationId,
      operationKind: String(row['operation_kind']),
      requestedBy: String(row['requested_by']),
      requestedAt: new Date(String(row['requested_at'])),
      correlationId: typeof correlationId === 'string' ? correlationId : null,
      operation: this.#operations.operation(operationId),
    };
  }
}
