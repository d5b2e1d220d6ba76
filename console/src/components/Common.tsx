/** Small pieces every page uses: times, statuses, errors, an action's outcome. */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/GraphQLClient.ts';

export function Time({ value }: { value: string | null | undefined }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  const date = new Date(value);
  return (
    <time dateTime={value} title={value}>
      {date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })}
    </time>
  );
}

export function Badge({ tone, children }: { tone: 'good' | 'bad' | 'warn' | 'info' | 'muted'; children: ComponentChildren }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export function OnlineBadge({ online }: { online: boolean }) {
  return <Badge tone={online ? 'good' : 'muted'}>{online ? 'online' : 'offline'}</Badge>;
}

const statusTones: Readonly<Record<string, 'good' | 'bad' | 'warn' | 'info' | 'muted'>> = {
  PENDING: 'warn',
  SENT: 'info',
  RUNNING: 'info',
  SUCCEEDED: 'good',
  FINISHED: 'good',
  FAILED: 'bad',
  REFUSED: 'bad',
  CANCELLED: 'muted',
  ACTIVE: 'bad',
  ACKNOWLEDGED: 'warn',
  CLEARED: 'muted',
  CRITICAL: 'bad',
  MAJOR: 'bad',
  MINOR: 'warn',
  WARNING: 'info',
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={statusTones[status] ?? 'info'}>{status.toLowerCase()}</Badge>;
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'something went wrong';
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <p class="error" role="alert">
      {code !== undefined && code !== 'ERROR' ? <strong>{code}: </strong> : null}
      {message}
    </p>
  );
}

export function errorOf(failure: unknown): Error {
  return failure instanceof Error ? failure : new Error(typeof failure === 'string' ? failure : 'something went wrong');
}

/** A JSON value shown compactly (operation results, event data). */
export function JsonText({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return <code class="json">{text.length > 300 ? `${text.slice(0, 300)}…` : text}</code>;
}
