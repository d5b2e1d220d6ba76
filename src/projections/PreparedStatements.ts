/**
 * Prepared statements, compiled once per database connection: projections run the same few SQL
 * statements for every event, and compiling them each time would cost more than running them.
 * SQLite recompiles a prepared statement by itself when the schema changes (a rebuild drops and
 * creates the tables), so the cache never holds a stale one; a connection that is closed (and
 * perhaps opened again on another file) forgets its statements first.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

const caches = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

export function prepared(db: DatabaseSync, sql: string): StatementSync {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** Before `db` is closed: its statements die with the connection. */
export function forgetPrepared(db: DatabaseSync): void {
  caches.delete(db);
}
