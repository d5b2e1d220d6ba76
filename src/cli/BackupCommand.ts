/**
 * `lwm2m-hub backup DIR`: a consistent copy of the embedded store's data directory into a new
 * directory, whether the service runs or not. The event log is copied with SQLite's `VACUUM INTO`
 * (https://sqlite.org/lang_vacuum.html#vacuuminto) on a read-only connection: in WAL mode a reader
 * sees one committed snapshot while the service goes on appending, and does not write the store, so
 * the store's one-process lock does not apply. The master key files, the admin token and the stored
 * firmware binaries are copied beside it; the read models are not, since a service started on the copy
 * rebuilds them from the log.
 *
 * Exit codes: 0 copied; 1 the copy failed, or the store is EventStoreDB (back it up with its own
 * tools); 2 DIR is missing, or exists and is not empty.
 */
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Config } from '../adapters/config/Config.ts';
import { exitCodes } from './ExitCodes.ts';

export interface BackupInput {
  readonly config: Config;
  readonly target: string;
  readonly output: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

/** What a service needs besides the log to open the copy: the key that sealed its secrets, its tokens, the firmware binaries. */
const copiedBesideTheLog = ['master.key', 'master.key.id', 'admin.token', 'firmware'];

export function runBackup(input: BackupInput): number {
  const { stdout, stderr } = input.output;
  if (input.config.eventStoreUrl !== '') {
    stderr.write('lwm2m-hub backup: the event store is EventStoreDB: back it up with its own tools (its backup documentation), the data directory holds only the master key and tokens\n');
    return exitCodes.failed;
  }
  const dataDir = resolve(input.config.dataDir);
  const log = join(dataDir, 'events.sqlite');
  if (!existsSync(log)) {
    stderr.write(`lwm2m-hub backup: ${dataDir} holds no event store (${log})\n`);
    return exitCodes.failed;
  }
  const target = input.target;
  if (existsSync(target) && readdirSync(target).length > 0) {
    stderr.write(`lwm2m-hub backup: ${target} exists and is not empty: give a new directory\n`);
    return exitCodes.usage;
  }
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(log, { readOnly: true });
  let events: number;
  try {
    events = Number((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number | bigint }).n);
    db.prepare('VACUUM INTO ?').run(join(target, 'events.sqlite'));
  } finally {
    db.close();
  }
  const copied = ['events.sqlite'];
  for (const name of copiedBesideTheLog) {
    if (!existsSync(join(dataDir, name))) continue;
    cpSync(join(dataDir, name), join(target, name), { recursive: true, preserveTimestamps: true });
    copied.push(name);
  }
  stdout.write(`backup of ${dataDir} in ${resolve(target)}: ${copied.join(', ')} (${events} events); a service started on it rebuilds the read models from the log\n`);
  if (!copied.includes('master.key')) {
    stdout.write('the master key is not in the data directory (LWM2M_HUB_MASTER_KEY): keep it with the backup, the sealed secrets cannot be opened without it\n');
  }
  return exitCodes.ok;
}
