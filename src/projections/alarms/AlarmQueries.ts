/** Reads the alarms read model: one alarm, or a filtered page, newest alarm first. */
import type { DatabaseSync, SQLInputValue, SQLOutputValue } from 'node:sqlite';
import { DomainError } from '../../domain/DomainError.ts';
import type { AlarmSeverity } from '../../domain/protocols/Functionality.ts';
import type { RaisedAlarmStatus } from '../../domain/telemetry/AlarmEvents.ts';
import type { MappingSource } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';

export interface AlarmView {
  readonly alarmId: string;
  readonly endpoint: string;
  readonly type: string;
  readonly severity: AlarmSeverity;
  readonly status: RaisedAlarmStatus;
  readonly text: string;
  readonly count: number;
  readonly firstTime: Date;
  readonly lastTime: Date;
  readonly source: MappingSource | null;
  /** When the alarm last changed (raised, counted, acknowledged, cleared). */
  readonly updatedAt: Date;
  /** The global position of the event that raised it: the order of pages, and the key of their cursors. */
  readonly raisedPosition: number;
}

export interface AlarmFilter {
  readonly endpoint?: string | null;
  readonly type?: string | null;
  /** Any of these statuses; all when absent or empty. */
  readonly status?: readonly RaisedAlarmStatus[] | null;
  readonly severity?: readonly AlarmSeverity[] | null;
}

export interface AlarmPage {
  readonly alarms: readonly AlarmView[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
  readonly endCursor: string | null;
}

export class AlarmQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(alarmId: string): AlarmView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM alarms WHERE alarm_id = ?').get(alarmId);
    return row === undefined ? undefined : toAlarmView(row);
  }

  /** At most `first` alarms matching the filter, the most recently raised first, after the cursor `after`. */
  page(filter: AlarmFilter, first: number, after?: string | null): AlarmPage {
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
    for (const [column, values] of [
      ['status', filter.status],
      ['severity', filter.severity],
    ] as const) {
      if (values && values.length > 0) {
        conditions.push(`${column} IN (${values.map(() => '?').join(', ')})`);
        parameters.push(...values);
      }
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const total = prepared(this.#db, `SELECT COUNT(*) AS n FROM alarms ${where}`).get(...parameters);
    let pageWhere = where;
    const pageParameters = [...parameters];
    if (after !== undefined && after !== null) {
      if (!/^\d{1,16}$/.test(after)) throw new DomainError('BAD_USER_INPUT', `"${after}" is not a cursor of this list`, { cursor: after });
      pageWhere = `${where === '' ? 'WHERE' : `${where} AND`} raised_position < ?`;
      pageParameters.push(Number(after));
    }
    const rows = prepared(this.#db, `SELECT * FROM alarms ${pageWhere} ORDER BY raised_position DESC LIMIT ?`).all(...pageParameters, first + 1);
    const page = rows.slice(0, first);
    const last = page[page.length - 1];
    return {
      alarms: page.map(toAlarmView),
      hasNextPage: rows.length > first,
      totalCount: Number(total?.['n'] ?? 0),
      endCursor: last === undefined ? null : String(last['raised_position']),
    };
  }
}

function toAlarmView(row: Record<string, SQLOutputValue>): AlarmView {
  return {
    alarmId: String(row['alarm_id']),
    endpoint: String(row['endpoint']),
    type: String(row['type']),
    severity: String(row['severity']) as AlarmSeverity,
    status: String(row['status']) as RaisedAlarmStatus,
    text: String(row['text']),
    count: Number(row['count']),
    firstTime: new Date(String(row['first_time'])),
    lastTime: new Date(String(row['last_time'])),
    source: JSON.parse(String(row['source'])) as MappingSource | null,
    updatedAt: new Date(String(row['updated_at'])),
    raisedPosition: Number(row['raised_position']),
  };
}
