/**
 * When an event was recorded, as the ISO 8601 text the read models store. The events of one store
 * commit share their time, and a rebuild reads them one after the other: the text of the last time
 * asked for is kept, so a run of events costs one Date#toISOString, not one each.
 */
import type { RecordedEvent } from '../adapters/eventstore/EventStore.ts';

let lastTime = Number.NaN;
let lastText = '';

export function recordedAtText(event: RecordedEvent): string {
  const time = event.recordedAt.getTime();
  if (time !== lastTime) {
    lastText = event.recordedAt.toISOString();
    lastTime = time;
  }
  return lastText;
}
