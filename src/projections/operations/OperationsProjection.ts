/**
 * Operations per device: one row per operation with its
 * status (pending, sent, succeeded, failed, cancelled), timestamps, attempts and result, from the
 * events of the `operations-<endpoint>` streams.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { OperationEvent } from '../../domain/operations/OperationEvents.ts';
import { describeReturn, operationStreamPrefix } from '../../domain/operations/OperationEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import { redactedJson } from '../SecretRedaction.ts';
import type { Projection } from '../Projection.ts';

export const operationsProjection: Projection = {
  name: 'operations',
  version: 1,
  filter: { streamPrefixes: [operationStreamPrefix] },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS operations (
      operation_id TEXT PRIMARY KEY,
      endpoint TEXT NOT NULL,
      seq INTEGER NOT NULL,
      kind TEXT NOT NULL,
      paths TEXT NOT NULL,
      content TEXT,
      status TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      correlation_id TEXT NOT NULL,
      requested_at TEXT NOT NULL,
      sent_at TEXT,
      completed_at TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      response_code TEXT,
      result TEXT,
      reason TEXT
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS operations_by_endpoint ON operations (endpoint, seq)');
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS operations');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<OperationEvent>(recorded);
    switch (event.type) {
      case 'OperationRequested': {
        const { operationId, endpoint, operation, requestedBy, correlationId, requestedAt } = event.data;
        // A write may carry a sealed text (a Package URI with its access token): it shows as redacted.
        prepared(
          db,
          `INSERT OR IGNORE INTO operations (operation_id, endpoint, seq, kind, paths, content, status, requested_by, correlation_id, requested_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        ).run(operationId, endpoint, recorded.position, operation.kind, JSON.stringify(operation.paths), redactedJson(operation.content), requestedBy, correlationId, requestedAt);
        return;
      }
      case 'OperationSent':
        prepared(db, "UPDATE operations SET status = 'sent', sent_at = ?, attempts = ? WHERE operation_id = ?").run(event.data.sentAt, event.data.attempt, event.data.operationId);
        return;
      case 'OperationDeliveryTimedOut':
        prepared(db, "UPDATE operations SET status = 'pending', reason = ? WHERE operation_id = ?").run(`attempt ${event.data.attempt} timed out`, event.data.operationId);
        return;
      case 'OperationReturnedToQueue':
        prepared(db, "UPDATE operations SET status = 'pending', reason = ? WHERE operation_id = ?").run(`attempt ${event.data.attempt} given up: ${describeReturn(event.data)}`, event.data.operationId);
        return;
      case 'OperationSucceeded':
        prepared(db, "UPDATE operations SET status = 'succeeded', completed_at = ?, response_code = ?, result = ?, reason = NULL WHERE operation_id = ?").run(
          event.data.completedAt,
          event.data.responseCode,
          JSON.stringify(event.data.content),
          event.data.operationId,
        );
        return;
      case 'OperationFailed':
        prepared(db, "UPDATE operations SET status = 'failed', completed_at = ?, response_code = ?, reason = ?, attempts = ? WHERE operation_id = ?").run(
          event.data.failedAt,
          event.data.responseCode,
          event.data.reason,
          event.data.attempts,
          event.data.operationId,
        );
        return;
      case 'OperationCancelled':
        prepared(db, "UPDATE operations SET status = 'cancelled', completed_at = ?, reason = ? WHERE operation_id = ?").run(
          event.data.cancelledAt,
          event.data.reason ?? `cancelled by ${event.data.cancelledBy}`,
          event.data.operationId,
        );
        return;
    }
  },
};
