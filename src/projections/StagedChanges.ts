/**
 * A read model's staged changes (StagedImports.ts): what a staged event changes is kept in a table of
 * its own until its import's commit, which applies the import's changes in log order; an import that
 * never commits leaves them there and changes nothing else.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../adapters/eventstore/EventStore.ts';
import { prepared } from './PreparedStatements.ts';

/** A staged change with the revision and position of the event it came from. */
export interface StagedChange<Change> {
  readonly change: Change;
  readonly revision: number;
  readonly position: number;
}

export class StagedChanges<Change> {
  readonly #table: string;

  /** `table`: a name of the read model's own; `Change` must survive JSON. */
  constructor(table: string) {
    this.#table = table;
  }

  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS ${this.#table} (
      position INTEGER PRIMARY KEY,
      import_id TEXT NOT NULL,
      revision INTEGER NOT NULL,
      change TEXT NOT NULL
    )`);
    db.exec(`CREATE INDEX IF NOT EXISTS ${this.#table}_by_import ON ${this.#table} (import_id, position)`);
  }

  drop(db: DatabaseSync): void {
    db.exec(`DROP TABLE IF EXISTS ${this.#table}`);
  }

  stage(db: DatabaseSync, importId: string, recorded: RecordedEvent, change: Change): void {
    prepared(db, `INSERT INTO ${this.#table} (position, import_id, revision, change) VALUES (?, ?, ?, ?)`).run(
      recorded.position,
      importId,
      recorded.revision,
      JSON.stringify(change),
    );
  }

  /** The import's staged changes in log order, taken out of the table. */
  take(db: DatabaseSync, importId: string): StagedChange<Change>[] {
    const rows = prepared(db, `SELECT position, revision, change FROM ${this.#table} WHERE import_id = ? ORDER BY position`).all(importId);
    prepared(db, `DELETE FROM ${this.#table} WHERE import_id = ?`).run(importId);
    return rows.map((row) => ({ change: JSON.parse(String(row['change'])) as Change, revision: Number(row['revision']), position: Number(row['position']) }));
  }
}
