/**
 * The SQLite event log's schema and connection settings, shared by the writer and the readers.
 *
 * One row per event. The global position is the rowid (`INTEGER PRIMARY KEY`), so reading all events
 * in order is a walk of the table's own b-tree. `UNIQUE (stream, revision)` is the stream index, and
 * also the last line of defence: two writers can never both record revision N of a stream.
 * Metadata fields are columns rather than JSON, so that readers parse only the event's data.
 */
import type { DatabaseSync } from 'node:sqlite';

const schema = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY,
  stream TEXT NOT NULL,
  revision INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  correlation_id TEXT,
  causation_id TEXT,
  actor TEXT,
  schema_version INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream, revision)
)`;

/**
 * WAL lets readers run beside the writer. synchronous=FULL makes every COMMIT fsync the WAL before it
 * returns, so an acknowledged append survives a crash (https://sqlite.org/pragma.html#pragma_synchronous).
 */
export function configureConnection(db: DatabaseSync): void {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA busy_timeout = 5000');
}

export function createSchema(db: DatabaseSync): void {
  db.exec(schema);
}

/** The row layout every reader selects, in this order. */
export const eventColumns =
  'position, stream, revision, id, type, data, correlation_id, causation_id, actor, schema_version, recorded_at';
