/** Reads the device events read model: pages in time order, filtered by device, type and time range. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import type { JsonObject } from '../../domain/Json.ts';
import type { MappingSource } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import { QueryConditions } from '../QueryConditions.ts';
import { timeOrderedPage, type TimeRange } from '../TimeOrderedPage.ts';

export interface DeviceEventView {
  readonly position: number;
  readonly endpoint: string;
  readonly type: string;
  readonly text: string;
  readonly time: Date;
  readonly attributes: JsonObject;
  readonly source: MappingSource;
}

export interface DeviceEventFilter extends TimeRange {
  readonly endpoint?: string | null;
  readonly type?: string | null;
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
    const conditions = new QueryConditions();
    conditions.equals('endpoint', filter.endpoint);
    conditions.equals('type', filter.type);
    const page = timeOrderedPage(this.#db, 'device_events', conditions, filter, first, after, toDeviceEventView);
    return { events: page.items, hasNextPage: page.hasNextPage, endCursor: page.endCursor };
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
