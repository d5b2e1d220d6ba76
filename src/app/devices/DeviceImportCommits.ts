/**
 * Device registrations as committed (StagedImports.ts, DeviceImportEvents.ts), for the live view that
 * follows the log (DeviceIdentities.ts): it skips staged events where they stand and takes them at
 * their import's commit, kept as they passed when this process ran the import (ImportsUnderWay),
 * otherwise re-read between the positions the commit names, so that nothing is held in memory for an
 * import that never commits. A device stream read on its own counts its events with `ImportCommits`.
 */
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceImportCommitted, DeviceImportEvent } from '../../domain/devices/DeviceImportEvents.ts';
import type { AppendResult, EventMetadata, EventStore, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { commitImport, committedEvents } from '../kernel/ImportCommits.ts';

const commitType: DeviceImportEvent['type'] = 'DeviceImportCommitted';

/** Commits a CSV import's staged rows. */
export function commitDeviceImport(store: EventStore, commit: DeviceImportCommitted, metadata: Partial<EventMetadata>): Promise<AppendResult> {
  return commitImport(store, commitType, commit, metadata);
}

/**
 * A LiveView's `expand` for the device and import streams: the device events in the order they take
 * effect, an unstaged event where it stands, a staged one at its import's commit (kept when this
 * process ran the import, otherwise read back from the log between the positions the commit names, in
 * pages of `pageSize`). Nothing is held in memory for an import that never commits.
 */
export function deviceEventsAtCommit(store: EventStore, pageSize: number): (events: readonly RecordedEvent[]) => Promise<readonly RecordedEvent[]> {
  return committedEvents(store, { streamPrefixes: [deviceStreamPrefix], commitType, pageSize });
}
