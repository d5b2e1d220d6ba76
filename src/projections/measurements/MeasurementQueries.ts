/** Reads the measurements read model: pages in time order, filtered by device, type, series and time range. */
import type { DatabaseSync, SQLInputValue, SQLOutputValue } from 'node:sqlite';
import type { MappingSource } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import { formatTimeCursor, parseTimeCursor } from './TimeCursor.ts';

export interface MeasurementView {
  /** The global position of the event that created it: its id. */
  readonly position: number;
  readonly endpoint: string;
  readonly type: string;
  readonly series: string;
  readonly value: number;
  readonly unit: string;
  readonly time: Date;
  readonly source: MappingSource;
}

export interface MeasurementFilter {
  readonly endpoint?: string | null;
  readonly type?: string | null;
  readonly series?: string | null;
  /** Inclusive. */
  readonly from?: Date | null;
  /** Exclusive. */
  readonly to?: Date | null;
}

export interface MeasurementPage {
  readonly measurements: readonly MeasurementView[];
  readonly hasNextPage: boolean;
  /** The cursor of the last measurement of the page, for `after`; null on an empty page. */
  readonly endCursor: string | null;
}

export class MeasurementQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** At most `first` measurements matching the filter, oldest first, after the cursor `after`. */
  page(filter: MeasurementFilter, first: number, after?: string | null): MeasurementPage {
    const conditions: string[] = [];
    const parameters: SQLInputValue[] = [];
    for (const [column, value] of [
      ['endpoint', filter.endpoint],
      ['type', filter.type],
      ['series', filter.series],
    ] as const) {
      if (value !== undefined && value !== null) {
        conditions.push(`${column} = ?`);
        parameters.push(value);
      }
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
    const rows = prepared(this.#db, `SELECT * FROM measurements ${where} ORDER BY time_ms, position LIMIT ?`).all(...parameters, first + 1);
    const measurements = rows.slice(0, first).map(toMeasurementView);
    const last = measurements[measurements.length - 1];
    return {
      measurements,
      hasNextPage: rows.length > first,
      endCursor: last === undefined ? null : formatTimeCursor({ timeMs: last.time.getTime(), position: last.position }),
    };
  }

  /** The measurement created by the event at `position` (for subscriptions told of that event). */
  at(position: number): MeasurementView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM measurements WHERE position = ?').get(position);
    return row === undefined ? undefined : toMeasurementView(row);
  }

  count(endpoint: string): number {
    return Number(prepared(this.#db, 'SELECT COUNT(*) AS n FROM measurements WHERE endpoint = ?').get(endpoint)?.['n'] ?? 0);
  }
}

function toMeasurementView(row: Record<string, SQLOutputValue>): MeasurementView {
  return {
    position: Number(row['position']),
    endpoint: String(row['endpoint']),
    type: String(row['type']),
    series: String(row['series']),
    value: Number(row['value']),
    unit: String(row['unit']),
    time: new Date(String(row['time'])),
    source: JSON.parse(String(row['source'])) as MappingSource,
  };
}
