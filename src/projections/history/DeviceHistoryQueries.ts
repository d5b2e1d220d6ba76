/** Reads the device history read model, oldest event first, in pages keyed by global position. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import type { JsonValue } from '../../domain/Json.ts';
import { prepared } from '../PreparedStatements.ts';

export interface DeviceHistoryRecord {
  readonly position: number;
  readonly endpoint: string;
  readonly category: string;
  readonly stream: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: Date;
  readonly actor: string | null;
  readonly correlationId: string | null;
  readonly causationId: string | null;
  /** The event's data, secrets redacted. */
  readonly data: JsonValue;
}

export interface HistoryPage {
  readonly entries: readonly DeviceHistoryRecord[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

export class DeviceHistoryQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** At most `first` entries of the device after position `afterPosition` (exclusive); of one category (security, ...) when given. */
  page(endpoint: string, first: number, afterPosition: number, category?: string): HistoryPage {
    if (category !== undefined) return this.#categoryPage(endpoint, first, afterPosition, category);
    const rows = prepared(this.#db, 'SELECT * FROM device_history WHERE endpoint = ? AND position > ? ORDER BY position LIMIT ?').all(
      endpoint,
      afterPosition,
      first + 1,
    );
    const total = prepared(this.#db, 'SELECT COUNT(*) AS n FROM device_history WHERE endpoint = ?').get(endpoint);
    return {
      entries: rows.slice(0, first).map(toEntry),
      hasNextPage: rows.length > first,
      totalCount: Number(total?.['n'] ?? 0),
    };
  }

  #categoryPage(endpoint: string, first: number, afterPosition: number, category: string): HistoryPage {
    const rows = prepared(this.#db, 'SELECT * FROM device_history WHERE endpoint = ? AND category = ? AND position > ? ORDER BY position LIMIT ?').all(
      endpoint,
      category,
      afterPosition,
      first + 1,
    );
    const total = prepared(this.#db, 'SELECT COUNT(*) AS n FROM device_history WHERE endpoint = ? AND category = ?').get(endpoint, category);
    return {
      entries: rows.slice(0, first).map(toEntry),
      hasNextPage: rows.length > first,
      totalCount: Number(total?.['n'] ?? 0),
    };
  }

  /** The entry of the event at `position`, if it belongs to a device. */
  at(position: number): DeviceHistoryRecord | undefined {
    const row = prepared(this.#db, 'SELECT * FROM device_history WHERE position = ?').get(position);
    return row ? toEntry(row) : undefined;
  }

  /** Every row, in position order: the whole read model, to compare a rebuild with the live one. */
  dump(): readonly DeviceHistoryRecord[] {
    return prepared(this.#db, 'SELECT * FROM device_history ORDER BY position').all().map(toEntry);
  }
}

function toEntry(row: Record<string, SQLOutputValue>): DeviceHistoryRecord {
  return {
    position: Number(row['position']),
    endpoint: String(row['endpoint']),
    category: String(row['category']),
    stream: String(row['stream']),
    revision: Number(row['revision']),
    eventId: String(row['event_id']),
    type: String(row['type']),
    recordedAt: new Date(String(row['recorded_at'])),
    actor: nullableString(row['actor']),
    correlationId: nullableString(row['correlation_id']),
    causationId: nullableString(row['causation_id']),
    data: JSON.parse(String(row['data'])) as JsonValue,
  };
}

function nullableString(value: SQLOutputValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}
