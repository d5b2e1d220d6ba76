/**
 * Every device's firmware update under way, folded from the `firmware-<endpoint>` streams by the update
 * decider: what the node that drives an update picks it up from, and what package grants are made of.
 */
import type { ActiveFirmwareUpdate } from '../../domain/firmware/FirmwareUpdateDecider.ts';
import { firmwareUpdateDecider } from '../../domain/firmware/FirmwareUpdateDecider.ts';
import type { FirmwareUpdateEvent } from '../../domain/firmware/FirmwareUpdateEvents.ts';
import { firmwareUpdateStreamPrefix } from '../../domain/firmware/FirmwareUpdateEvents.ts';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { LiveViewDefinition } from '../kernel/LiveView.ts';

/** What became of a device's update with one event: under way before and after (either may be undefined). */
export type UpdateChange = (stream: string, before: ActiveFirmwareUpdate | undefined, after: ActiveFirmwareUpdate | undefined) => void;

/**
 * The updates under way (stream name -> its state); an ended one is dropped. `changed` hears each
 * event's effect as it is folded.
 */
export function updatesUnderWay(name: string, changed?: UpdateChange): LiveViewDefinition<Map<string, ActiveFirmwareUpdate>> {
  return {
    name,
    filter: { streamPrefixes: [firmwareUpdateStreamPrefix] },
    initialState: new Map(),
    evolve(state, recorded: RecordedEvent) {
      const before = state.get(recorded.stream);
      const { active } = firmwareUpdateDecider.evolve({ active: before }, toDomainEvent<FirmwareUpdateEvent>(recorded));
      if (active) state.set(recorded.stream, active);
      else state.delete(recorded.stream);
      changed?.(recorded.stream, before, active);
      return state;
    },
  };
}
