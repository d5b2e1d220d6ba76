/** Reads the devices read model: one device, or a filtered page ordered by endpoint. */
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { SecurityMode } from '../../domain/devices/DeviceEvents.ts';
import type { DeviceStatus, DeviceView } from './DeviceView.ts';
import { toDeviceView } from './DeviceRows.ts';
import { prepared } from '../PreparedStatements.ts';

export interface DeviceFilter {
  readonly status?: DeviceStatus | null;
  readonly securityMode?: SecurityMode | null;
  /** Case-insensitive substring of the endpoint, the name or the external id. */
  readonly search?: string | null;
}

export interface DevicePage {
  readonly devices: readonly DeviceView[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

export class DeviceQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(endpoint: string): DeviceView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM devices WHERE endpoint = ?').get(endpoint);
    return row ? toDeviceView(row) : undefined;
  }

  /** At most `first` devices matching the filter whose endpoint sorts after `afterEndpoint`. */
  page(filter: DeviceFilter, first: number, afterEndpoint: string | undefined): DevicePage {
    const conditions: string[] = [];
    const parameters: SQLInputValue[] = [];
    if (filter.status) {
      conditions.push('status = ?');
      parameters.push(filter.status);
    }
    if (filter.securityMode) {
      conditions.push('security_mode = ?');
      parameters.push(filter.securityMode);
    }
    if (filter.search) {
      conditions.push("(instr(lower(endpoint), ?) > 0 OR instr(lower(name), ?) > 0 OR instr(lower(external_id), ?) > 0)");
      const needle = filter.search.toLowerCase();
      parameters.push(needle, needle, needle);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const total = prepared(this.#db, `SELECT COUNT(*) AS n FROM devices ${where}`).get(...parameters);
    const pageWhere = afterEndpoint === undefined ? where : `${where === '' ? 'WHERE' : `${where} AND`} endpoint > ?`;
    const pageParameters = afterEndpoint === undefined ? parameters : [...parameters, afterEndpoint];
    const rows = prepared(this.#db, `SELECT * FROM devices ${pageWhere} ORDER BY endpoint LIMIT ?`).all(...pageParameters, first + 1);
    return {
      devices: rows.slice(0, first).map(toDeviceView),
      hasNextPage: rows.length > first,
      totalCount: Number(total?.['n'] ?? 0),
    };
  }

  /** Every row, ordered by endpoint: the whole read model, to compare a rebuild with the live one. */
  dump(): readonly DeviceView[] {
    return prepared(this.#db, 'SELECT * FROM devices ORDER BY endpoint').all().map(toDeviceView);
  }
}
