/**
 * Cursors of the time-ordered read models (measurements, device events): rows are ordered by their
 * time, then by the global position of their event (unique, so the order is total), and a cursor is
 * the pair `<time in ms>:<position>` of the last row of a page. A client treats it as opaque.
 */
import { DomainError } from '../domain/DomainError.ts';

export interface TimeCursor {
  readonly timeMs: number;
  readonly position: number;
}

export function formatTimeCursor(cursor: TimeCursor): string {
  return `${cursor.timeMs}:${cursor.position}`;
}

/** Throws BAD_USER_INPUT for text that is not a cursor this module made. */
export function parseTimeCursor(text: string): TimeCursor {
  const match = /^(-?\d{1,16}):(\d{1,16})$/.exec(text);
  if (match === null) throw new DomainError('BAD_USER_INPUT', `"${text}" is not a cursor of this list`, { cursor: text });
  return { timeMs: Number(match[1]), position: Number(match[2]) };
}
