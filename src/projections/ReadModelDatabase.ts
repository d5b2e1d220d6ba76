/**
 * The read models' own embedded SQLite file (`<dataDir>/readmodels.sqlite`), separate from the event
 * store, whichever store is configured: read models are disposable and rebuilt from the log, so they
 * never share a file (or a backup policy) with the source of truth.
 *
 * WAL lets queries read while the projector writes; `synchronous = NORMAL` is safe under WAL (a crash
 * loses at most the last transactions, never corrupts), and a lost read-model transaction is replayed
 * from its checkpoint, which is committed in the same transaction.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { prepared } from './PreparedStatements.ts';

export interface Checkpoint {
  /** How far the projection has seen the log (every event it reads up to here is applied); 0 before the first. */
  readonly position: number;
  /** The projection's schema version that wrote the read model. */
  readonly version: number;
}

export class ReadModelDatabase {
  readonly db: DatabaseSync;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('PRAGMA busy_timeout = 5000');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL)',
    );
    this.db.exec('CREATE TABLE IF NOT EXISTS read_model_source (id INTEGER PRIMARY KEY CHECK (id = 1), store_identity TEXT NOT NULL)');
  }

  static open(dataDir: string): ReadModelDatabase {
    mkdirSync(dataDir, { recursive: true });
    return new ReadModelDatabase(join(dataDir, 'readmodels.sqlite'));
  }

  checkpoint(name: string): Checkpoint | undefined {
    const row = prepared(this.db, 'SELECT position, version FROM projection_checkpoints WHERE name = ?').get(name);
    if (!row) return undefined;
    return { position: Number(row['position']), version: Number(row['version']) };
  }

  /** Only inside a transaction: the checkpoint moves with the change it covers. */
  saveCheckpoint(name: string, checkpoint: Checkpoint): void {
    prepared(
      this.db,
      'INSERT INTO projection_checkpoints (name, position, version) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position, version = excluded.version',
    ).run(name, checkpoint.position, checkpoint.version);
  }

  /**
   * The identity of the event store the read models were projected from (the id of its first event),
   * or undefined when none has been recorded: checkpoints are positions in that store's log only.
   */
  storeIdentity(): string | undefined {
    const row = prepared(this.db, 'SELECT store_identity FROM read_model_source WHERE id = 1').get();
    return row ? String(row['store_identity']) : undefined;
  }

  saveStoreIdentity(identity: string | undefined): void {
    if (identity === undefined) prepared(this.db, 'DELETE FROM read_model_source').run();
    else prepared(this.db, 'INSERT INTO read_model_source (id, store_identity) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET store_identity = excluded.store_identity').run(identity);
  }

  deleteCheckpoint(name: string): void {
    prepared(this.db, 'DELETE FROM projection_checkpoints WHERE name = ?').run(name);
  }

  /** Runs `work` in one write transaction: all of it commits, or none of it when it throws. */
  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
