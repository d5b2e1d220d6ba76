/**
 * The guide's device shell: one command a line (read, write, execute, observe, cancelobservation,
 * discover, create, delete, writeattr, fwupdate...), the history with each line's result as it comes,
 * and the parser's error with its line and column.
 */
import { useState } from 'preact/hooks';
import type { DeviceDetail } from '../../api/DeviceDocuments.ts';
import { ApiError } from '../../api/GraphQLClient.ts';
import { usePagesUpTo, useSubscription } from '../../api/Hooks.ts';
import { api, canOperate } from '../../api/Session.ts';
import type { ShellGrammarError, ShellLine } from '../../api/ShellDocuments.ts';
import { shellHistoryQuery, shellLineUpdated, shellMutation } from '../../api/ShellDocuments.ts';
import { ErrorMessage, errorOf, StatusBadge, Time } from '../../components/Common.tsx';

/** Lines read from the history, and lines shown until the operator asks for the earlier ones. */
const maxLines = 5_000;
const shownLines = 200;

export function ShellTab({ device }: { device: DeviceDetail }) {
  const endpoint = device.endpoint;
  const history = usePagesUpTo(
    async (after) => {
      const { shellHistory: page } = await api().request(shellHistoryQuery, { endpoint, after });
      return { items: page.edges.map((edge) => edge.node), hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor };
    },
    (line) => line.id,
    endpoint,
    maxLines,
  );
  useSubscription(shellLineUpdated, { endpoint }, ({ shellLineUpdated: line }) =>
    history.update((lines) => (lines.some((each) => each.id === line.id) ? lines.map((each) => (each.id === line.id ? line : each)) : [...lines, line])),
  );
  const [showAll, setShowAll] = useState(false);
  const lines = history.items;
  const hidden = showAll ? 0 : Math.max(0, lines.length - shownLines);
  return (
    <section aria-labelledby="shell-heading" class="shell">
      <h2 id="shell-heading">Shell</h2>
      {!device.shellEnabled ? <p class="muted">The shell of this device is disabled (its SHELL column is 0).</p> : null}
      <ErrorMessage error={history.error} />
      {hidden > 0 ? (
        <p class="hint">
          {hidden} earlier line(s) not shown.{' '}
          <button type="button" class="small" onClick={() => setShowAll(true)}>
            Show them
          </button>
        </p>
      ) : null}
      {history.truncated ? <p class="hint">The history holds more than {maxLines} lines: those after the first {maxLines} are not shown; new ones arrive live.</p> : null}
      <ShellHistory lines={lines.slice(hidden)} />
      {canOperate.value && device.shellEnabled ? <ShellInput endpoint={endpoint} previous={lines.map((line) => line.text)} /> : null}
    </section>
  );
}

function ShellHistory({ lines }: { lines: readonly ShellLine[] }) {
  if (lines.length === 0) return <p class="muted">No command yet.</p>;
  return (
    <ol class="shell-history" aria-label="Shell history" aria-live="polite">
      {lines.map((line) => (
        <li key={line.id} data-status={line.status}>
          <span class="prompt" aria-hidden="true">
            &gt;
          </span>{' '}
          <code>{line.text}</code> <StatusBadge status={line.status} /> <small class="muted"><Time value={line.requestedAt} /></small>
          {line.result === null ? null : <pre class="shell-result">{line.result}</pre>}
        </li>
      ))}
    </ol>
  );
}

function ShellInput({ endpoint, previous }: { endpoint: string; previous: readonly string[] }) {
  const [command, setCommand] = useState('');
  const [recall, setRecall] = useState<number | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const run = () => {
    if (command.trim() === '') return;
    setBusy(true);
    api()
      .request(shellMutation, { endpoint, command })
      .then(
        () => {
          setCommand('');
          setRecall(undefined);
          setError(undefined);
        },
        (failure: unknown) => setError(errorOf(failure)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <form
      class="shell-input"
      onSubmit={(event) => {
        event.preventDefault();
        run();
      }}
    >
      <label for="shell-command">Commands, one per line (Ctrl+Enter runs; Alt+↑ and Alt+↓ recall earlier commands)</label>
      <textarea
        id="shell-command"
        rows={3}
        spellcheck={false}
        placeholder="read /3/0"
        value={command}
        onInput={(event) => setCommand(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            run();
          } else if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && previous.length > 0) {
            event.preventDefault();
            const last = previous.length - 1;
            const next = event.key === 'ArrowUp' ? Math.max(0, (recall ?? previous.length) - 1) : Math.min(last, (recall ?? last) + 1);
            setRecall(next);
            setCommand(previous[next] ?? '');
          }
        }}
      />
      <button type="submit" disabled={busy}>
        Run
      </button>
      <ShellError error={error} />
    </form>
  );
}

function ShellError({ error }: { error: Error | undefined }) {
  if (error === undefined) return null;
  const grammar = grammarErrors(error);
  return (
    <div class="error" role="alert">
      {grammar.length > 0 ? <p>The input has {grammar.length} error(s); nothing was run:</p> : <p>{error.message}</p>}
      {grammar.length > 0 ? (
        <ul>
          {grammar.map((each, index) => (
            <li key={index}>
              line {each.line}, column {each.column}: {each.message ?? `expected ${each.expected ?? '?'}`}
              {each.usage === undefined ? null : <code class="usage"> {each.usage}</code>}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The grammar errors of a refused shell input (extensions.errors), each with its line and column. */
function grammarErrors(error: Error): readonly ShellGrammarError[] {
  const errors = error instanceof ApiError ? error.extensions['errors'] : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.filter((each): each is ShellGrammarError => typeof each === 'object' && each !== null && typeof (each as { line?: unknown }).line === 'number');
}
