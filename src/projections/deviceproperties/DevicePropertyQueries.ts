/** Reads the devices' reported properties and last positions. */
import type { DatabaseSync } from 'node:sqlite';
import { prepared } from '../PreparedStatements.ts';

export interface DevicePropertyView {
  readonly property: string;
  readonly value: string;
  readonly time: Date;
}

export interface DevicePositionView {
  readonly latitude: number;
  readonly longitude: number;
  readonly altitude: number | null;
  readonly time: Date;
}

export class DevicePropertyQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The device's properties, ordered by name. */
  properties(endpoint: string): readonly DevicePropertyView[] {
    return prepared(this.#db, 'SELECT property, value, time FROM device_properties WHERE endpoint = ? ORDER BY property')
      .all(endpoint)
      .map((row) => ({ property: String(row['property']), value: String(row['value']), time: new Date(String(row['time'])) }));
  }

  position(endpoint: string): DevicePositionView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM device_positions WHERE endpoint = ?').get(endpoint);
    if (row === undefined) return undefined;
    return {
      latitude: Number(row['latitude']),
      longitude: Number(row['longitude']),
      altitude: row['altitude'] === null ? null : Number(row['altitude']),
      time: new Date(String(row['time'])),
    };
  }
}
