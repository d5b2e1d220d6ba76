/**
 * The device's whole history as a timeline (every event of its streams, oldest first, a page at a
 * time, new ones live), and the device as it was at a chosen moment, folded from the log by the service.
 */
import { useState } from 'preact/hooks';
import type { HistoryEntry } from '../../api/DeviceDocuments.ts';
import { deviceAsOfQuery, deviceEventsSubscription, deviceHistoryQuery } from '../../api/DeviceDocuments.ts';
import { useQuery, useSubscription } from '../../api/Hooks.ts';
import { api } from '../../api/Session.ts';
import { ErrorMessage, errorOf, JsonText, Time } from '../../components/Common.tsx';
import { eventsOfRequest, summaryOf } from './HistorySummary.ts';

const pageSize = 50;

export function HistoryTab({ endpoint }: { endpoint: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [earlier, setEarlier] = useState<readonly HistoryEntry[]>([]);
  const [live, setLive] = useState<readonly HistoryEntry[]>([]);
  const history = useQuery(deviceHistoryQuery, { endpoint, category: null, first: pageSize, after });
  const connection = history.data?.deviceHistory;
  const hasMore = connection?.pageInfo.hasNextPage ?? false;
  useSubscription(deviceEventsSubscription, { endpoint }, ({ deviceEvents }) => {
    // Only once every stored page is shown: until then a new event is on a page still to load.
    if (!hasMore) setLive((entries) => [...entries, deviceEvents]);
  });
  const [correlation, setCorrelation] = useState<string | undefined>(undefined);
  const loaded = [...earlier, ...(connection?.edges.map((edge) => edge.node) ?? []), ...live.filter((entry) => !connection?.edges.some((edge) => edge.node.position === entry.position))];
  const shown = correlation === undefined ? loaded : eventsOfRequest(loaded, correlation);
  return (
    <div class="history">
      <AsOf endpoint={endpoint} />
      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline {connection ? <span class="muted">({connection.totalCount} events)</span> : null}</h2>
        <ErrorMessage error={history.error} />
        {correlation === undefined ? null : (
          <p class="toolbar">
            Showing the events of one request ({correlation}).
            <button type="button" class="small" onClick={() => setCorrelation(undefined)}>
              Show every event
            </button>
          </p>
        )}
        <ol class="timeline" aria-label="Device history">
          {shown.map((entry) => {
            const summary = summaryOf(entry);
            return (
              <li key={entry.position} class={`category-${entry.category}`}>
                <Time value={entry.recordedAt} /> <span class="category">{entry.category}</span> <strong>{entry.type}</strong>
                {entry.actor === null ? null : <span class="muted"> by {entry.actor}</span>}
                {summary === undefined ? null : <div class="summary">{summary}</div>}
                <div>
                  <JsonText value={entry.data} />
                </div>
                {entry.correlationId === null || correlation !== undefined ? null : (
                  <button type="button" class="small quiet" onClick={() => setCorrelation(entry.correlationId ?? undefined)}>
                    Events of this request
                  </button>
                )}
              </li>
            );
          })}
        </ol>
        {hasMore ? (
          <button
            type="button"
            onClick={() => {
              setEarlier(shown);
              setLive([]);
              setAfter(connection?.pageInfo.endCursor ?? null);
            }}
          >
            Show more
          </button>
        ) : null}
      </section>
    </div>
  );
}

function AsOf({ endpoint }: { endpoint: string }) {
  const [moment, setMoment] = useState('');
  const [state, setState] = useState<Awaited<ReturnType<typeof loadAsOf>> | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  return (
    <section class="card" aria-labelledby="asof-heading">
      <h2 id="asof-heading">State as of a moment</h2>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          loadAsOf(endpoint, moment).then(
            (result) => {
              setState(result);
              setError(undefined);
            },
            (failure: unknown) => setError(errorOf(failure)),
          );
        }}
      >
        <label for="asof-time">Moment (your local time)</label>
        <input id="asof-time" type="datetime-local" step="1" required value={moment} onInput={(event) => setMoment(event.currentTarget.value)} />
        <button type="submit">Show</button>
      </form>
      <ErrorMessage error={error} />
      {state === undefined ? null : state === null ? (
        <p class="muted">The device did not exist yet at that moment.</p>
      ) : (
        <dl class="facts" data-testid="as-of-state">
          <dt>Status</dt>
          <dd>{state.status.toLowerCase()}</dd>
          <dt>Name</dt>
          <dd>{state.name}</dd>
          <dt>Security mode</dt>
          <dd>{state.securityMode}</dd>
          <dt>Registered</dt>
          <dd>
            {state.registration === null
              ? 'no'
              : `yes, from ${state.registration.address}:${state.registration.port} over ${state.registration.channel}, lifetime ${state.registration.lifetime} s, binding ${state.registration.binding}, LwM2M ${state.registration.lwm2mVersion}`}
          </dd>
          {state.registration === null ? null : (
            <>
              <dt>Objects</dt>
              <dd>{state.registration.objectLinks.map((link) => `/${link.objectId}${link.instanceId === null ? '' : `/${link.instanceId}`}`).join(' ')}</dd>
            </>
          )}
          <dt>Revision</dt>
          <dd>{state.revision}</dd>
        </dl>
      )}
    </section>
  );
}

async function loadAsOf(endpoint: string, localMoment: string) {
  const { device } = await api().request(deviceAsOfQuery, { endpoint, time: new Date(localMoment).toISOString() });
  return device;
}
