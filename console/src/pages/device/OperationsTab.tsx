/** The device's operations with their live status (pending, sent, succeeded, failed, cancelled), result, and cancel. */
import { useState } from 'preact/hooks';
import type { Operation } from '../../api/DeviceDocuments.ts';
import { cancelOperationMutation } from '../../api/DeviceDocuments.ts';
import { api, canOperate } from '../../api/Session.ts';
import { ErrorMessage, errorOf, JsonText, StatusBadge, Time } from '../../components/Common.tsx';
import { ListTable } from '../../components/ListTable.tsx';

export function OperationsTab({ endpoint, operations }: { endpoint: string; operations: readonly Operation[] }) {
  const [error, setError] = useState<Error | undefined>(undefined);
  const newestFirst = [...operations].reverse();
  return (
    <section aria-labelledby="operations-heading">
      <h2 id="operations-heading">Operations</h2>
      <ErrorMessage error={error} />
      {newestFirst.length === 0 ? <p class="muted">No operation yet.</p> : null}
      <ListTable label="Operations" columns={['Requested', 'Operation', 'Paths', 'Status', 'Code', 'Result', 'By', canOperate.value && 'Cancel']}>
        {newestFirst.map((operation) => (
          <tr key={operation.id} data-operation={operation.id}>
            <td>
              <Time value={operation.requestedAt} />
            </td>
            <td>{operation.kind.toLowerCase().replaceAll('_', ' ')}</td>
            <td>{operation.paths.join(' ')}</td>
            <td>
              <StatusBadge status={operation.status} />
              {operation.attempts > 1 ? <small class="muted"> ({operation.attempts} attempts)</small> : null}
            </td>
            <td>{operation.responseCode ?? '—'}</td>
            <td>{operation.reason === null ? <OperationResult result={operation.result} /> : <span class="error-text">{operation.reason}</span>}</td>
            <td>{operation.requestedBy}</td>
            {canOperate.value ? (
              <td>
                {operation.status === 'PENDING' || operation.status === 'SENT' ? (
                  <button
                    type="button"
                    class="small"
                    onClick={() => {
                      api()
                        .request(cancelOperationMutation, { endpoint, id: operation.id })
                        .then(
                          () => setError(undefined),
                          (failure: unknown) => setError(errorOf(failure)),
                        );
                    }}
                  >
                    Cancel
                  </button>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </ListTable>
    </section>
  );
}

/** A read's values as "path = value" lines; any other result as JSON. */
function OperationResult({ result }: { result: unknown }) {
  const values = typeof result === 'object' && result !== null && 'values' in result ? result.values : undefined;
  if (!Array.isArray(values) || !values.every((value): value is { path: string; text: string } => typeof value === 'object' && value !== null && 'path' in value && 'text' in value)) {
    return <JsonText value={result} />;
  }
  return (
    <ul class="values">
      {values.map((value) => (
        <li key={value.path}>
          {value.path} = {value.text}
        </li>
      ))}
    </ul>
  );
}
