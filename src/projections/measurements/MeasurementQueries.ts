/** Reads the measurements read model: pages in time order, filtered by device, type, series and time range. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import type { MappingSource } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import { QueryConditions } from '../QueryConditions.ts';
import { timeOrderedPage, type TimeRange } from '../TimeOrderedPage.ts';

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

export interface MeasurementFilter extends TimeRange {
  readonly endpoint?: string | null;
  readonly type?: string | null;
  readonly series?: string | null;
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
    const conditions = new QueryConditions();
    conditions.equals('endpoint', filter.endpoint);
    conditions.equals('type', filter.type);
    conditions.equals('series', filter.series);
    const page = timeOrderedPage(this.#db, 'measurements', conditions, filter, first, after, toMeasurementView);
    return { measurements: page.items, hasNextPage: page.hasNextPage, endCursor: page.endCursor };
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
