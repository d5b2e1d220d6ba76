/**
 * Device registrations as committed (StagedImports.ts, DeviceImportEvents.ts), for the readers that
 * follow the log (the registration directory, the PSK identity index): they skip staged events where
 * they stand and take them at their import's commit, re-reading them between the positions the commit
 * names, so that nothing is held in memory for an import that never commits. A device stream read on
 * its own counts its events with `ImportCommits`.
 */
import type { DeviceEvent } from '../../domain/devices/DeviceEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceImportCommitted, DeviceImportEvent } from '../../domain/devices/DeviceImportEvents.ts';
import { importStreamPrefix, stagedImportOf } from '../../domain/imports/StagedImports.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { AppendResult, EventMetadata, EventStore } from '../../adapters/eventstore/EventStore.ts';
import { commitImport } from '../kernel/ImportCommits.ts';

const commitType: DeviceImportEvent['type'] = 'DeviceImportCommitted';

/** Commits a CSV import's staged rows. */
export function commitDeviceImport(store: EventStore, commit: DeviceImportCommitted, metadata: Partial<EventMetadata>): Promise<AppendResult> {
  return commitImport(store, commitType, commit, metadata);
}

/** A device event that counts, with the log position a reader has reached once it has applied it. */
export interface CommittedDeviceEvent {
  readonly endpoint: string;
  readonly event: DeviceEvent;
  readonly through: number;
}

/**
 * The device events after `after` in the order they take effect: an unstaged event where it stands,
 * a staged one at its import's commit. Reads pages of `pageSize` up to the end of the log.
 */
export async function* committedDeviceEvents(store: EventStore, after: number, pageSize: number): AsyncGenerator<CommittedDeviceEvent> {
  let position = after;
  for (;;) {
    const page = await store.readAll({ after: position, maxCount: pageSize, filter: { streamPrefixes: [deviceStreamPrefix, importStreamPrefix] } });
    for (const recorded of page) {
      position = recorded.position;
      if (recorded.stream.startsWith(importStreamPrefix)) {
        if (recorded.type === commitType) yield* stagedEventsOf(store, recorded.data as unknown as DeviceImportCommitted, pageSize, position);
        continue;
      }
      const event = toDomainEvent<DeviceEvent>(recorded);
      if (stagedImportOf(event.data) === undefined) yield { endpoint: recorded.stream.slice(deviceStreamPrefix.length), event, through: position };
    }
    if (page.length < pageSize) return;
  }
}

/** The staged events of a committed import, re-read from the log between the positions it names. */
async function* stagedEventsOf(store: EventStore, commit: DeviceImportCommitted, pageSize: number, through: number): AsyncGenerator<CommittedDeviceEvent> {
  let position = commit.firstPosition - 1;
  while (position < commit.lastPosition) {
    const page = await store.readAll({ after: position, maxCount: pageSize, filter: { streamPrefixes: [deviceStreamPrefix] } });
    for (const recorded of page) {
      position = recorded.position;
      if (position > commit.lastPosition) return;
      const event = toDomainEvent<DeviceEvent>(recorded);
      if (stagedImportOf(event.data) === commit.importId) yield { endpoint: recorded.stream.slice(deviceStreamPrefix.length), event, through };
    }
    if (page.length < pageSize) return;
  }
}
