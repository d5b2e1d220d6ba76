/** Reads the device events read model: pages in time order, filtered by device, type and time range. */
import type { DatabaseSync, SQLInputValue, SQLOutputValue } from 'node:sqlite';
import type { JsonObject } from '../../domain/Json.ts';
import type { MappingSource } from '../../domain/telemetry/TelemetryEvents.ts';
import { formatTimeCursor, parseTimeCursor } from '../measurements/TimeCursor.ts';
import { prepared } from '../PreparedStatements.ts';

export interface DeviceEventView {
  readonly position: number;
  readonly endpoint: string;
  readonly type: string;
  readonly text: string;
  readonly time: Date;
  readonly attributes: JsonObject;
  readonly source: MappingSource;
}

export interface DeviceEventFilter {
  readonly endpoint?: string | null;
  readonly type?: string | null;
  /** Inclusive. */
  readonly from?: Date | null;
  /** Exclusive. */
  readonly to?: Date | null;
}

export interface DeviceEventPage {
  readonly events: readonly DeviceEventView[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

export class DeviceEventQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** At most `first` events matching the filter, oldest first, after the cursor `after`. */
  page(filter: DeviceEventFilter, first: number, after?: string | null): DeviceEventPage {
    const conditions: string[] = [];
    const parameters: SQLInputValue[] = [];
    if (filter.endpoint !== undefined && filter.endpoint !== null) {
      conditions.push('endpoint = ?');
      parameters.push(filter.endpoint);
    }
    if (filter.type !== undefined && filter.type !== null) {
      conditions.push('type = ?');
      parameters.push(filter.type);
    }
    if (filter.from) {
      conditions.push('time_ms >= ?');
      parameters.push(filter.from.getTime());
    }
    if (filter.to) {
      conditions.push('time_ms < ?');
      parameters.push(filter.to.getTime());
    }
    if (after !== undefined && after !== null) {
      const cursor = parseTimeCursor(after);
      conditions.push('(time_ms > ? OR (time_ms = ? AND position > ?))');
      parameters.push(cursor.timeMs, cursor.timeMs, cursor.position);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const rows = prepared(this.#db, `SELECT * FROM device_events ${where} ORDER BY time_ms, position LIMIT ?`).all(...parameters, first + 1);
    const events = rows.slice(0, first).map(toDeviceEventView);
    const last = events[events.length - 1];
    return {
      events,
      hasNextPage: rows.length > first,
      endCursor: last === undefined ? null : formatTimeCursor({ timeMs: last.time.getTime(), position: last.position }),
    };
  }

  /** The device event created by the store event at `position` (for subscriptions). */
  at(position: number): DeviceEventView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM device_events WHERE position = ?').get(position);
    return row === undefined ? undefined : toDeviceEventView(row);
  }
}

function toDeviceEventView(row: Record<string, SQLOutputValue>): DeviceEventView {
  return {
    position: Number(row['position']),
    endpoint: String(row['endpoint']),
    type: String(row['type']),
    text: String(row['text']),
    time: new Date(String(row['time'])),
    attributes: JSON.parse(String(row['attributes'])) as JsonObject,
    source: JSON.parse(String(row['source'])) as MappingSource,
  };
}
