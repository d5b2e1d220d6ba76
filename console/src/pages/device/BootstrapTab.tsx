/** The device's bootstrap sessions with their steps (LwM2M Core 1.1 section 6.1). */
import { useQuery } from '../../api/Hooks.ts';
import { bootstrapSessionsQuery } from '../../api/DeviceDocuments.ts';
import { ErrorMessage, StatusBadge, Time } from '../../components/Common.tsx';
import { ListTable } from '../../components/ListTable.tsx';

export function BootstrapTab({ endpoint }: { endpoint: string }) {
  const sessions = useQuery(bootstrapSessionsQuery, { endpoint });
  const list = sessions.data?.bootstrapSessions.edges ?? [];
  return (
    <section aria-labelledby="bootstrap-heading">
      <h2 id="bootstrap-heading">Bootstrap sessions</h2>
      <ErrorMessage error={sessions.error} />
      {list.length === 0 ? <p class="muted">No bootstrap session.</p> : null}
      {list.map(({ node }) => (
        <article key={node.id} class="card">
          <h3>
            <Time value={node.startedAt} /> from {node.address} ({node.channel}) <StatusBadge status={node.status} />
            {node.reason === null ? null : <span class="error-text"> {node.reason}</span>}
          </h3>
          <ListTable label="Bootstrap steps" columns={['Step', 'Request', 'Target', 'Purpose', 'Sent', 'Answer']}>
            {node.steps.map((step) => (
              <tr key={step.step}>
                <td>{step.step}</td>
                <td>{step.kind}</td>
                <td>{step.target}</td>
                <td>{step.purpose ?? '—'}</td>
                <td>
                  <Time value={step.sentAt} />
                </td>
                <td>{step.code ?? '—'}</td>
              </tr>
            ))}
          </ListTable>
        </article>
      ))}
    </section>
  );
}
