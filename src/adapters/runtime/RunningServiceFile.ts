/**
 * `<dataDir>/service.json`: which process serves this data directory and where its GraphQL API
 * listens, written once the service is ready and removed when it stops. A command line beside a
 * running service reads it to go through the service's API, since the embedded store is one
 * process's (SqliteProcessLock.ts); the store's lock must name the same process, so that a file left
 * by a killed service is never believed.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder, processRuns } from '../eventstore/SqliteProcessLock.ts';

export interface RunningServiceInfo {
  readonly pid: number;
  /** Where a local client reaches the GraphQL API (a wildcard bind address replaced by loopback). */
  readonly graphqlUrl: string;
}

const fileName = 'service.json';

/** Writes the file for this process; the returned function removes it. */
export function announceRunningService(dataDir: string, graphqlUrl: string): () => Promise<void> {
  const file = join(dataDir, fileName);
  const info: RunningServiceInfo = { pid: process.pid, graphqlUrl: reachableUrl(graphqlUrl) };
  writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  return () => {
    try {
      unlinkSync(file);
    } catch {
      // Already gone: nothing to remove.
    }
    return Promise.resolve();
  };
}

/**
 * The service running on `dataDir`, if one does. With the embedded store (`embeddedStore`), its lock
 * must name the process the file names; with EventStoreDB there is no lock, and the process must run.
 */
export function findRunningService(dataDir: string, embeddedStore: boolean): RunningServiceInfo | undefined {
  let info: RunningServiceInfo;
  try {
    info = JSON.parse(readFileSync(join(dataDir, fileName), 'utf8')) as RunningServiceInfo;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(info.pid) || typeof info.graphqlUrl !== 'string' || info.pid === process.pid) return undefined;
  const running = embeddedStore ? lockHolder(join(dataDir, 'events.sqlite')) === info.pid : processRuns(info.pid);
  return running ? info : undefined;
}

/** `http://0.0.0.0:4000/graphql` and `http://[::]:4000/graphql` name no host to connect to: use loopback. */
function reachableUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0') parsed.hostname = '127.0.0.1';
  else if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.toString();
}
