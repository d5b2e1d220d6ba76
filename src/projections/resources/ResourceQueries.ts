/** Reads the latest resource values. */
import type { DatabaseSync } from 'node:sqlite';
import { prepared } from '../PreparedStatements.ts';

export interface ResourceValueView {
  readonly path: string;
  /** The LwM2M type (string, integer, unsigned, float, boolean, opaque, time, objlnk, corelnk). */
  readonly type: string;
  /** The canonical text of the value (`formatTypedValue`). */
  readonly text: string;
  /** The device's time of the value, or when the server received it if the device gave none. */
  readonly time: Date;
  readonly deviceTime: boolean;
  readonly source: string;
}

export class ResourceQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The device's latest values at or under `pathPrefix` ("/3303/0"; "/" for all), ordered by path. */
  resources(endpoint: string, pathPrefix = '/'): readonly ResourceValueView[] {
    const prefix = pathPrefix === '/' ? '' : pathPrefix.replace(/\/+$/, '');
    return prepared(this.#db, "SELECT * FROM resource_values WHERE endpoint = ? AND (path = ? OR substr(path, 1, length(?) + 1) = ? || '/') ORDER BY path")
      .all(endpoint, prefix, prefix, prefix)
      .map((row) => ({
        path: String(row['path']),
        type: String(row['type']),
        text: String(row['text']),
        time: new Date(String(row['time'])),
        deviceTime: Number(row['device_time']) === 1,
        source: String(row['source']),
      }));
  }
}
