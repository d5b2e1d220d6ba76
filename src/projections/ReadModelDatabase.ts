/**
 * The read models' own embedded SQLite file (`<dataDir>/readmodels.sqlite`), separate from the event
 * store, whichever store is configured: read models are disposable and rebuilt from the log, so they
 * never share a file (or a backup policy) with the source of truth.
 *
 * WAL lets queries read while the projector writes; `synchronous = NORMAL` is safe under WAL (a crash
 * loses at most the last transactions, never corrupts), and a lost read-model transaction is replayed
 * from its checkpoint, which is committed in the same transaction.
 *
 * A rebuild writes a replacement file beside it (`readmodels.sqlite.rebuild`) through a connection of
 * its own while this one keeps answering, and `replaceWith` swaps it in: the rename is atomic (POSIX
 * rename(2)), so the file at the path is either the old read models or the new ones, never a mix, and
 * a rebuild that fails deletes its replacement without touching this file. The connection object
 * stays the same across the swap (closed, then opened again on the path), so whoever holds `db`
 * reads the new file afterwards. It must be the path's only connection: closing it is what folds the
 * write-ahead log into the old file and removes it, so that no old WAL is ever applied to the new file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { forgetPrepared, prepared } from './PreparedStatements.ts';

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
    this.#configure();
  }

  #configure(): void {
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('PRAGMA busy_timeout = 5000');
    // 32 MiB of page cache (SQLite's default is 2 MiB): a fleet's values land on a leaf of each index
    // per device (measurements by series and by time, resource values by path), so the leaves in use
    // outgrow 2 MiB at a few hundred devices, and each insert then reads its pages back from the
    // file; measured on 500 devices, 20 % less CPU per projected notification (BENCHMARKS.md).
    this.db.exec('PRAGMA cache_size = -32768');
    createBookkeeping(this.db);
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
    saveCheckpoint(this.db, name, checkpoint);
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
    saveStoreIdentity(this.db, identity);
  }

  deleteCheckpoint(name: string): void {
    prepared(this.db, 'DELETE FROM projection_checkpoints WHERE name = ?').run(name);
  }

  /** Runs `work` in one write transaction: all of it commits, or none of it when it throws. */
  transaction<T>(work: () => T): T {
    return inTransaction(this.db, work);
  }

  /**
   * Starts a replacement file, empty, beside this one (a leftover of an interrupted rebuild is
   * deleted first). Nothing reads it before the swap and a failed rebuild deletes it, so it is
   * written as one transaction, committed by `finish`, without a rollback journal on disk nor fsyncs
   * (`replaceWith` makes it durable): SQLite writes each of its pages once (or when the page cache
   * spills), not once per commit of the pages that every commit touches again (indexes' leaves, the
   * b-trees' inner pages).
   */
  startReplacement(): ReadModelReplacement {
    const path = `${this.path}.rebuild`;
    removeDatabaseFiles(path);
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = MEMORY');
    db.exec('PRAGMA synchronous = OFF');
    // 64 MiB of page cache: the rebuild's b-trees stay in memory until the commit.
    db.exec('PRAGMA cache_size = -65536');
    createBookkeeping(db);
    db.exec('BEGIN IMMEDIATE');
    return new ReadModelReplacement(db, path);
  }

  /**
   * Swaps the finished replacement in: flushed to disk, renamed over this file, and this connection
   * opened again on it. Synchronous, so no query runs in between. When it throws, nothing was swapped.
   */
  replaceWith(replacement: ReadModelReplacement): void {
    replacement.finish();
    const wasOpen = this.db.isOpen;
    forgetPrepared(this.db);
    if (wasOpen) this.db.close();
    try {
      // The directory is not fsynced: after a power loss either file may be found at the path, each
      // whole (the replacement was written through first) and consistent with its own checkpoints.
      renameSync(replacement.path, this.path);
    } finally {
      // Whether or not the rename happened, the connection goes on with the file at the path.
      if (wasOpen) {
        this.db.open();
        this.#configure();
      }
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

/**
 * A read-model file being built beside the live one (`ReadModelDatabase.startReplacement`): the same
 * checkpoints and tables, written through its own connection in one transaction.
 */
export class ReadModelReplacement {
  readonly db: DatabaseSync;
  readonly path: string;

  constructor(db: DatabaseSync, path: string) {
    this.db = db;
    this.path = path;
  }

  saveCheckpoint(name: string, checkpoint: Checkpoint): void {
    saveCheckpoint(this.db, name, checkpoint);
  }

  saveStoreIdentity(identity: string | undefined): void {
    saveStoreIdentity(this.db, identity);
  }

  /** Commits its one transaction, closes its connection and writes the file through to the disk. */
  finish(): void {
    if (!this.db.isOpen) return;
    this.db.exec('COMMIT');
    forgetPrepared(this.db);
    this.db.close();
    syncFile(this.path);
  }

  /** Gives up the replacement: the live file was never touched. */
  discard(): void {
    forgetPrepared(this.db);
    if (this.db.isOpen) this.db.close();
    removeDatabaseFiles(this.path);
  }
}

function createBookkeeping(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS read_model_source (id INTEGER PRIMARY KEY CHECK (id = 1), store_identity TEXT NOT NULL)');
}

function saveCheckpoint(db: DatabaseSync, name: string, checkpoint: Checkpoint): void {
  prepared(
    db,
    'INSERT INTO projection_checkpoints (name, position, version) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position, version = excluded.version',
  ).run(name, checkpoint.position, checkpoint.version);
}

function saveStoreIdentity(db: DatabaseSync, identity: string | undefined): void {
  if (identity === undefined) prepared(db, 'DELETE FROM read_model_source').run();
  else prepared(db, 'INSERT INTO read_model_source (id, store_identity) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET store_identity = excluded.store_identity').run(identity);
}

function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}
