/** The device's events of the last day, live. */
import { useState } from 'preact/hooks';
import { useQuery, useSubscription } from '../../api/Hooks.ts';
import { eventCreated, eventsQuery } from '../../api/TelemetryDocuments.ts';
import { ErrorMessage, Time } from '../../components/Common.tsx';
import { ListTable } from '../../components/ListTable.tsx';

const day = 24 * 60 * 60 * 1000;

export function EventsTab({ endpoint }: { endpoint: string }) {
  const [from] = useState(() => new Date(Date.now() - day).toISOString());
  const events = useQuery(eventsQuery, { endpoint, from });
  useSubscription(eventCreated, { endpoint }, ({ eventCreated: created }) => events.update((data) => ({ events: { edges: [...data.events.edges, { node: created }] } })));
  const newestFirst = [...(events.data?.events.edges ?? [])].reverse();
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Events (last 24 hours)</h2>
      <ErrorMessage error={events.error} />
      {newestFirst.length === 0 ? <p class="muted">No event.</p> : null}
      <ListTable label="Events" columns={['Time', 'Type', 'Text', 'From']}>
        {newestFirst.map(({ node }) => (
          <tr key={node.id}>
            <td>
              <Time value={node.time} />
            </td>
            <td>{node.type}</td>
            <td>{node.text}</td>
            <td>
              {node.source.path} ({node.source.rule})
            </td>
          </tr>
        ))}
      </ListTable>
    </section>
  );
}
