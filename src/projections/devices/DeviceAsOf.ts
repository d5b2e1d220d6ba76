/**
 * A device's state as of a past moment, computed from the log rather than the read model: its
 * registration events are folded with the decider's own `evolve` up to a time or a global position, so
 * the answer is what the service itself believed then: an import's staged events count from its commit.
 */
import type { EventStore, RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { DeviceEvent } from '../../domain/devices/DeviceEvents.ts';
import { deviceStream } from '../../domain/devices/DeviceEvents.ts';
import { importStream, stagedImportOf } from '../../domain/imports/StagedImports.ts';
import type { DeviceRegistrationState } from '../../domain/devices/DeviceRegistrationDecider.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';
import type { DeviceView } from './DeviceView.ts';
import { redactRegistration } from './DeviceView.ts';

/** A point in the past: every event recorded at or before the time, or at or before the position. */
export type AsOf = { readonly time: Date } | { readonly position: number };

export async function deviceAsOf(store: EventStore, endpoint: string, asOf: AsOf): Promise<DeviceView | undefined> {
  const result = await store.readStream(deviceStream(endpoint));
  if (result.status === 'stream_not_found') return undefined;
  let state: DeviceRegistrationState = deviceRegistrationDecider.initialState;
  let first: RecordedEvent | undefined;
  let last: RecordedEvent | undefined;
  for (const recorded of result.events) {
    if (!happenedBy(recorded, asOf)) break;
    const event = toDomainEvent<DeviceEvent>(recorded);
    const importId = stagedImportOf(event.data);
    if (importId !== undefined && !(await committedBy(store, importId, asOf))) continue;
    state = deviceRegistrationDecider.evolve(state, event);
    first ??= recorded;
    last = recorded;
  }
  if (state.status === 'unknown' || !first || !last) return undefined;
  return {
    ...redactRegistration(state.registration),
    status: state.status,
    createdAt: first.recordedAt,
    updatedAt: last.recordedAt,
    revision: last.revision,
    position: last.position,
  };
}

/** Whether an import's staged events counted at that moment: its commit had been recorded by then. */
async function committedBy(store: EventStore, importId: string, asOf: AsOf): Promise<boolean> {
  const result = await store.readStream(importStream(importId), { maxCount: 1 });
  return result.status === 'found' && result.events.some((recorded) => happenedBy(recorded, asOf));
}

function happenedBy(event: RecordedEvent, asOf: AsOf): boolean {
  return 'time' in asOf ? event.recordedAt.getTime() <= asOf.time.getTime() : event.position <= asOf.position;
}
