/**
 * One page of a time-ordered read model (measurements, device events): the rows that match the
 * conditions and the time range, ordered by time then by event position, after a cursor (TimeCursor).
 * One row more than the page is read to know whether there is a next page.
 */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { prepared } from './PreparedStatements.ts';
import type { QueryConditions } from './QueryConditions.ts';
import { formatTimeCursor, parseTimeCursor } from './TimeCursor.ts';

export interface TimeRange {
  /** Inclusive. */
  readonly from?: Date | null;
  /** Exclusive. */
  readonly to?: Date | null;
}

export interface TimeOrderedPage<View> {
  readonly items: readonly View[];
  readonly hasNextPage: boolean;
  /** The cursor of the last item of the page, for `after`; null on an empty page. */
  readonly endCursor: string | null;
}

/** `table` must have the columns `time_ms` and `position`; `conditions` are the filter's others. */
export function timeOrderedPage<View extends { readonly position: number; readonly time: Date }>(
  db: DatabaseSync,
  table: string,
  conditions: QueryConditions,
  range: TimeRange,
  first: number,
  after: string | null | undefined,
  toView: (row: Record<string, SQLOutputValue>) => View,
): TimeOrderedPage<View> {
  if (range.from) conditions.add('time_ms >= ?', range.from.getTime());
  if (range.to) conditions.add('time_ms < ?', range.to.getTime());
  if (after !== undefined && after !== null) {
    const cursor = parseTimeCursor(after);
    conditions.add('(time_ms > ? OR (time_ms = ? AND position > ?))', cursor.timeMs, cursor.timeMs, cursor.position);
  }
  const rows = prepared(db, `SELECT * FROM ${table} ${conditions.where()} ORDER BY time_ms, position LIMIT ?`).all(...conditions.parameters(), first + 1);
  const items = rows.slice(0, first).map(toView);
  const last = items[items.length - 1];
  return {
    items,
    hasNextPage: rows.length > first,
    endCursor: last === undefined ? null : formatTimeCursor({ timeMs: last.time.getTime(), position: last.position }),
  };
}
