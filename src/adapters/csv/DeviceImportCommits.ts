/**
 * Reading device registrations as committed (DeviceImportEvents.ts): a staged device event counts only
 * once its import's `DeviceImportCommitted` is in the log.
 *
 * - A device stream read on its own (a decider's fold, a lookup by endpoint) keeps the staged events of
 *   committed imports only; a committed import stays committed, so that answer is cached.
 * - A reader following the log (the registration directory, the PSK identity index) skips staged
 *   events where they stand and takes them at their import's commit, re-reading them between the
 *   positions the commit names: nothing is held in memory for an import that never commits.
 */
import type { DeviceEvent } from '../../domain/devices/DeviceEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceImportCommitted, DeviceImportEvent } from '../../domain/devices/DeviceImportEvents.ts';
import { deviceImportStream, deviceImportStreamPrefix, stagedImportOf } from '../../domain/devices/DeviceImportEvents.ts';
import { toDomainEvent } from '../eventstore/CommandHandler.ts';
import type { AppendResult, EventMetadata, EventStore, RecordedEvent } from '../eventstore/EventStore.ts';

const commitType: DeviceImportEvent['type'] = 'DeviceImportCommitted';

export class DeviceImportCommits {
  readonly #store: EventStore;
  readonly #committed = new Set<string>();

  constructor(store: EventStore) {
    this.#store = store;
  }

  async isCommitted(importId: string): Promise<boolean> {
    if (this.#committed.has(importId)) return true;
    const result = await this.#store.readStream(deviceImportStream(importId), { maxCount: 1 });
    const committed = result.status === 'found' && result.events.some((recorded) => recorded.type === commitType);
    if (committed) this.#committed.add(importId);
    return committed;
  }

  /** The events of a device stream that count, in stream order. */
  readonly counted = async (events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> => {
    const counted: RecordedEvent[] = [];
    for (const recorded of events) {
      const importId = stagedImportOf(toDomainEvent<DeviceEvent>(recorded));
      if (importId === undefined || (await this.isCommitted(importId))) counted.push(recorded);
    }
    return counted;
  };
}

/** Commits an import's staged events: one event, so that they all count from the same moment. */
export function commitDeviceImport(store: EventStore, commit: DeviceImportCommitted, metadata: Partial<EventMetadata>): Promise<AppendResult> {
  return store.appendToStream(deviceImportStream(commit.importId), [{ type: commitType, data: { ...commit }, metadata }], 'no_stream');
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
    const page = await store.readAll({ after: position, maxCount: pageSize, filter: { streamPrefixes: [deviceStreamPrefix, deviceImportStreamPrefix] } });
    for (const recorded of page) {
      position = recorded.position;
      if (recorded.stream.startsWith(deviceImportStreamPrefix)) {
        if (recorded.type === commitType) yield* stagedEventsOf(store, recorded.data as unknown as DeviceImportCommitted, pageSize, position);
        continue;
      }
      const event = toDomainEvent<DeviceEvent>(recorded);
      if (stagedImportOf(event) === undefined) yield { endpoint: recorded.stream.slice(deviceStreamPrefix.length), event, through: position };
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
      if (stagedImportOf(event) === commit.importId) yield { endpoint: recorded.stream.slice(deviceStreamPrefix.length), event, through };
    }
    if (page.length < pageSize) return;
  }
}
