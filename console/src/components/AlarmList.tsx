/** Alarms with acknowledge and clear (for a device, or the fleet), live. */
import { useState } from 'preact/hooks';
import { useDebounced, useQuery, useSubscription } from '../api/Hooks.ts';
import type { AlarmStatus, Severity } from '../api/ProtocolDocuments.ts';
import { api, canOperate } from '../api/Session.ts';
import type { Alarm } from '../api/TelemetryDocuments.ts';
import { acknowledgeAlarmMutation, alarmChanged, alarmsQuery, clearAlarmMutation } from '../api/TelemetryDocuments.ts';
import { devicePath } from '../Router.ts';
import { ErrorMessage, errorOf, StatusBadge, Time } from './Common.tsx';
import { Link } from './Link.tsx';
import { ListTable } from './ListTable.tsx';

const severities: readonly Severity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];
const statuses: readonly AlarmStatus[] = ['ACTIVE', 'ACKNOWLEDGED', 'CLEARED'];

export function AlarmList({ endpoint }: { endpoint: string | null }) {
  const [status, setStatus] = useState<ReadonlySet<AlarmStatus>>(new Set(['ACTIVE', 'ACKNOWLEDGED']));
  const [severity, setSeverity] = useState<ReadonlySet<Severity>>(new Set(severities));
  const [cursors, setCursors] = useState<ReadonlyArray<string | null>>([null]);
  const [error, setError] = useState<Error | undefined>(undefined);
  const alarms = useQuery(alarmsQuery, { endpoint, status: [...status], severity: [...severity], after: cursors[cursors.length - 1] ?? null });
  const reloadSoon = useDebounced(() => alarms.reload(), 500);
  useSubscription(alarmChanged, { endpoint }, () => reloadSoon());
  const act = (id: string, acknowledge: boolean): void =>
    void (acknowledge ? api().request(acknowledgeAlarmMutation, { id }) : api().request(clearAlarmMutation, { id }))
      .then(
        () => {
          setError(undefined);
          alarms.reload();
        },
        (failure: unknown) => setError(errorOf(failure)),
      );
  const connection = alarms.data?.alarms;
  return (
    <div class="alarms">
      <div class="filters">
        <fieldset>
          <legend>Status</legend>
          {statuses.map((each) => (
            <label key={each}>
              <input type="checkbox" checked={status.has(each)} onChange={() => setStatus(toggled(status, each))} /> {each.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Severity</legend>
          {severities.map((each) => (
            <label key={each}>
              <input type="checkbox" checked={severity.has(each)} onChange={() => setSeverity(toggled(severity, each))} /> {each.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <span aria-live="polite" data-testid="alarm-count">
          {connection ? `${connection.totalCount} alarm(s)` : ''}
        </span>
      </div>
      <ErrorMessage error={alarms.error ?? error} />
      <ListTable label="Alarms" columns={['Severity', 'Status', endpoint === null && 'Device', 'Type', 'Text', 'Count', 'First', 'Last', canOperate.value && 'Actions']}>
        {connection?.edges.map(({ node }) => <AlarmRow key={node.id} alarm={node} showDevice={endpoint === null} onAct={act} />)}
      </ListTable>
      {connection?.edges.length === 0 ? <p class="muted">No alarm with these statuses and severities.</p> : null}
      <nav class="pager" aria-label="Alarm pages">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <button type="button" disabled={!connection?.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, connection?.pageInfo.endCursor ?? null])}>
          Next
        </button>
      </nav>
    </div>
  );
}

function AlarmRow({ alarm, showDevice, onAct }: { alarm: Alarm; showDevice: boolean; onAct: (id: string, acknowledge: boolean) => void }) {
  return (
    <tr data-alarm={alarm.id} data-status={alarm.status}>
      <td>
        <StatusBadge status={alarm.severity} />
      </td>
      <td>
        <StatusBadge status={alarm.status} />
      </td>
      {showDevice ? (
        <td>
          <Link href={devicePath(alarm.endpoint, 'alarms')}>{alarm.endpoint}</Link>
        </td>
      ) : null}
      <td>{alarm.type}</td>
      <td>{alarm.text}</td>
      <td>{alarm.count}</td>
      <td>
        <Time value={alarm.firstTime} />
      </td>
      <td>
        <Time value={alarm.lastTime} />
      </td>
      {canOperate.value ? (
        <td>
          {alarm.status === 'ACTIVE' ? (
            <button type="button" class="small" onClick={() => onAct(alarm.id, true)}>
              Acknowledge
            </button>
          ) : null}
          {alarm.status !== 'CLEARED' ? (
            <button type="button" class="small" onClick={() => onAct(alarm.id, false)}>
              Clear
            </button>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}

function toggled<T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> {
  const next = new Set(set);
  if (next.has(value)) next.delete(value);
  else next.add(value);
  return next;
}
