/**
 * One process per embedded store: a lock file beside the database names the process that has it open.
 *
 * SQLite itself would let a second process open the file, and the store's writer would then refuse
 * every later append of the first one ("another process is writing"): a running service broken by an
 * `import-devices` started beside it. The lock turns that into a clear refusal at open, before anything
 * is written. Stores opened twice in the same process share the lock (tests do that on purpose). A lock
 * left by a process that died (SIGKILL) is taken over: its process id no longer runs.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export class EventStoreLockedError extends Error {
  readonly pid: number;

  constructor(file: string, pid: number) {
    super(
      `the event store ${file} is open in process ${pid} (a running lwm2m-hub serve?): stop it first, or use the running service's GraphQL API`,
    );
    this.name = 'EventStoreLockedError';
    this.pid = pid;
  }
}

/** How many stores of this process hold each lock file. */
const holders = new Map<string, number>();

/** Takes the lock of `file` for this process; returns the function that releases it. */
export function acquireProcessLock(file: string): () => void {
  const lockFile = `${file}.lock`;
  const held = holders.get(lockFile) ?? 0;
  if (held === 0) takeLockFile(file, lockFile);
  holders.set(lockFile, held + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (holders.get(lockFile) ?? 1) - 1;
    if (left > 0) {
      holders.set(lockFile, left);
      return;
    }
    holders.delete(lockFile);
    try {
      unlinkSync(lockFile);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

/** The running process (not this one) that holds the lock of `file`, if any: a stale lock names none. */
export function lockHolder(file: string): number | undefined {
  const owner = Number.parseInt(readOwner(`${file}.lock`), 10);
  return Number.isInteger(owner) && owner !== process.pid && processRuns(owner) ? owner : undefined;
}

function takeLockFile(file: string, lockFile: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    }
    const owner = Number.parseInt(readOwner(lockFile), 10);
    if (Number.isInteger(owner) && owner !== process.pid && processRuns(owner)) throw new EventStoreLockedError(file, owner);
    // A stale lock (its process died) or an unreadable one: remove it and try once more.
    try {
      unlinkSync(lockFile);
    } catch (error) {
      if (!isErrorCode(error, 'ENOENT')) throw error;
    }
  }
  throw new Error(`could not take the lock ${lockFile}: another process keeps creating it`);
}

function readOwner(lockFile: string): string {
  try {
    return readFileSync(lockFile, 'utf8').trim();
  } catch {
    return '';
  }
}

export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return isErrorCode(error, 'EPERM');
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
