/** The registration CSV upload: all rows or none, or the valid rows only; progress; the row errors in a table. */
import { useState } from 'preact/hooks';
import type { ImportMode, RowError } from '../api/DeviceDocuments.ts';
import { importDevicesMutation } from '../api/DeviceDocuments.ts';
import { ApiError } from '../api/GraphQLClient.ts';
import { api } from '../api/Session.ts';
import { ErrorMessage, errorOf } from './Common.tsx';
import { ListTable } from './ListTable.tsx';

interface Outcome {
  readonly summary: string;
  readonly errors: readonly RowError[];
}

export function CsvUpload({ onImported }: { onImported: () => void }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [mode, setMode] = useState<ImportMode>('ALL_OR_NOTHING');
  const [progress, setProgress] = useState<number | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);

  async function upload(chosen: File): Promise<void> {
    setOutcome(undefined);
    setError(undefined);
    setProgress(0);
    try {
      const csv = await chosen.text();
      const { importDeviceRegistrations: result } = await api().requestWithProgress(importDevicesMutation, { csv, mode }, (sent, total) => setProgress(total > 0 ? sent / total : 0));
      setOutcome({ summary: `${result.imported} imported, ${result.updated} updated, ${result.unchanged} unchanged, ${result.errors.length} row(s) refused`, errors: result.errors });
      onImported();
    } catch (failure) {
      const rowErrors = failure instanceof ApiError ? failure.extensions['rowErrors'] : undefined;
      if (Array.isArray(rowErrors)) setOutcome({ summary: `Nothing was imported: ${(failure as Error).message}`, errors: rowErrors as RowError[] });
      else setError(errorOf(failure));
    } finally {
      setProgress(undefined);
    }
  }

  return (
    <details class="panel">
      <summary>Register devices from a CSV file</summary>
      <form
        class="csv-upload"
        onSubmit={(event) => {
          event.preventDefault();
          if (file) void upload(file);
        }}
      >
        <label for="csv-file">Registration CSV</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(event) => setFile(event.currentTarget.files?.[0])} />
        <fieldset>
          <legend>When a row is invalid</legend>
          <label>
            <input type="radio" name="import-mode" value="ALL_OR_NOTHING" checked={mode === 'ALL_OR_NOTHING'} onChange={() => setMode('ALL_OR_NOTHING')} /> import nothing (all or nothing)
          </label>
          <label>
            <input type="radio" name="import-mode" value="VALID_ROWS_ONLY" checked={mode === 'VALID_ROWS_ONLY'} onChange={() => setMode('VALID_ROWS_ONLY')} /> import the valid rows only
          </label>
        </fieldset>
        <button type="submit" disabled={file === undefined || progress !== undefined}>
          Upload
        </button>
        {progress !== undefined ? (
          <span role="status">
            <progress max={1} value={progress} aria-label="Upload progress">
              {Math.round(progress * 100)} %
            </progress>{' '}
            {progress < 1 ? `sending ${Math.round(progress * 100)} %` : 'sent; the service is checking and importing the rows…'}
          </span>
        ) : null}
      </form>
      <ErrorMessage error={error} />
      {outcome ? (
        <div class="import-outcome" aria-live="polite">
          <p>{outcome.summary}</p>
          {outcome.errors.length > 0 ? (
            <ListTable label="Row errors" columns={['Line', 'Column', 'Problem']}>
              {outcome.errors.map((rowError, index) => (
                <tr key={index}>
                  <td>{rowError.line}</td>
                  <td>{rowError.column === null ? 'whole row' : `${rowError.column}${rowError.columnNumber === null ? '' : ` (column ${rowError.columnNumber})`}`}</td>
                  <td>{rowError.message}</td>
                </tr>
              ))}
            </ListTable>
          ) : null}
        </div>
      ) : null}
    </details>
  );
}
