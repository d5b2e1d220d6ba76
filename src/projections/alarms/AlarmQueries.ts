/** Reads the alarms read model: one alarm, or a filtered page, newest alarm first. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { DomainError } from '../../domain/DomainError.ts';
import type { AlarmSeverity } from '../../domain/protocols/Functionality.ts';
import type { RaisedAlarmStatus } from '../../domain/telemetry/AlarmEvents.ts';
import type { MappingSource } from '../../domain/telemetry/TelemetryEvents.ts';
import { prepared } from '../PreparedStatements.ts';
import { QueryConditions } from '../QueryConditions.ts';

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
    const conditions = new QueryConditions();
    conditions.equals('endpoint', filter.endpoint);
    conditions.equals('type', filter.type);
    conditions.anyOf('status', filter.status);
    conditions.anyOf('severity', filter.severity);
    const total = prepared(this.#db, `SELECT COUNT(*) AS n FROM alarms ${conditions.where()}`).get(...conditions.parameters());
    if (after !== undefined && after !== null) {
      if (!/^\d{1,16}$/.test(after)) throw new DomainError('BAD_USER_INPUT', `"${after}" is not a cursor of this list`, { cursor: after });
      conditions.add('raised_position < ?', Number(after));
    }
    const rows = prepared(this.#db, `SELECT * FROM alarms ${conditions.where()} ORDER BY raised_position DESC LIMIT ?`).all(...conditions.parameters(), first + 1);
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
