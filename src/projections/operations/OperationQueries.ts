/** Reads the operations read model. */
import type { DatabaseSync } from 'node:sqlite';
import type { JsonValue } from '../../domain/Json.ts';
import { prepared } from '../PreparedStatements.ts';

export type OperationStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'cancelled';

export interface OperationView {
  readonly operationId: string;
  readonly endpoint: string;
  readonly kind: string;
  readonly paths: readonly string[];
  readonly content: JsonValue | null;
  readonly status: OperationStatus;
  readonly requestedBy: string;
  readonly correlationId: string;
  readonly requestedAt: Date;
  readonly sentAt: Date | null;
  readonly completedAt: Date | null;
  readonly attempts: number;
  readonly responseCode: string | null;
  readonly result: JsonValue | null;
  /** Why it failed or was cancelled, or why the last attempt timed out. */
  readonly reason: string | null;
}

export class OperationQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The device's operations, oldest first. */
  operations(endpoint: string, limit = 1_000): readonly OperationView[] {
    return prepared(this.#db, 'SELECT * FROM operations WHERE endpoint = ? ORDER BY seq LIMIT ?').all(endpoint, limit).map(toView);
  }

  /** The device's newest `limit` operations, oldest of them first. */
  latestOperations(endpoint: string, limit: number): readonly OperationView[] {
    return prepared(this.#db, 'SELECT * FROM (SELECT * FROM operations WHERE endpoint = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq').all(endpoint, limit).map(toView);
  }

  operation(operationId: string): OperationView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM operations WHERE operation_id = ?').get(operationId);
    return row === undefined ? undefined : toView(row);
  }

  /** How many operations wait for an answer: queued, or sent and not answered yet. */
  unansweredCount(): number {
    const row = prepared(this.#db, "SELECT COUNT(*) AS n FROM operations WHERE status IN ('pending', 'sent')").get();
    return Number(row?.['n'] ?? 0);
  }
}

function toView(row: Record<string, unknown>): OperationView {
  const text = (name: string): string | null => {
    const value = row[name];
    return typeof value === 'string' ? value : null;
  };
  const required = (name: string): string => text(name) ?? '';
  const date = (name: string): Date | null => {
    const value = text(name);
    return value === null ? null : new Date(value);
  };
  const json = (name: string): JsonValue | null => {
    const value = text(name);
    return value === null ? null : (JSON.parse(value) as JsonValue);
  };
  return {
    operationId: required('operation_id'),
    endpoint: required('endpoint'),
    kind: required('kind'),
    paths: JSON.parse(required('paths')) as string[],
    content: json('content'),
    status: required('status') as OperationStatus,
    requestedBy: required('requested_by'),
    correlationId: required('correlation_id'),
    requestedAt: new Date(required('requested_at')),
    sentAt: date('sent_at'),
    completedAt: date('completed_at'),
    attempts: Number(row['attempts']),
    responseCode: text('response_code'),
    result: json('result'),
    reason: text('reason'),
  };
}
