/** Reads the bootstrap sessions read model: an endpoint's sessions, newest first, each with its steps. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { prepared } from '../PreparedStatements.ts';

export type BootstrapSessionStatus = 'running' | 'finished' | 'failed' | 'refused';

export interface BootstrapStepView {
  readonly step: number;
  /** 'discover' | 'delete' | 'write' | 'finish', or 'pack' (the answer to a Bootstrap-Pack-Request). */
  readonly kind: string;
  /** "/", "/0", "/0/1", "/bs", "/bspack". */
  readonly target: string;
  /** For writes: 'lwm2m-server-security' | 'lwm2m-server' | 'bootstrap-server-security'. */
  readonly purpose: string | null;
  readonly sentAt: Date | null;
  readonly answeredAt: Date | null;
  /** The device's CoAP response code, null until it answered. */
  readonly code: string | null;
  /** A Bootstrap-Discover's answer (link format, its first 2,048 characters); null for other steps. */
  readonly answer: string | null;
}

export interface BootstrapSessionView {
  readonly sessionId: string;
  /** The global position of the event that started (or refused) the session. */
  readonly position: number;
  readonly endpoint: string;
  readonly address: string;
  readonly port: number;
  readonly channel: string;
  /** How the device was found: 'endpoint' | 'externalBootstrapPskId' | 'pskIdentity', and the value used. */
  readonly identityKind: string;
  readonly identityValue: string;
  readonly preferredContentFormat: number | null;
  readonly contentFormat: number | null;
  /** The Security instances the device keeps (its Bootstrap-Server accounts), which the writes avoid; null for refused and older sessions. */
  readonly bootstrapAccounts: readonly number[] | null;
  /** 'discovered' (its Bootstrap-Discover listed them) or 'assumed' (no answer: /0/0). */
  readonly bootstrapAccountsBasis: string | null;
  readonly status: BootstrapSessionStatus;
  /** Failed: 'timeout' | 'device-error' | 'device-unreachable'; refused: 'unknown-endpoint' | 'concurrent-bootstrap' | 'incomplete-registration'. */
  readonly reason: string | null;
  readonly failedStep: number | null;
  /** The device's error code when it failed with one. */
  readonly code: string | null;
  readonly detail: string | null;
  readonly startedAt: Date;
  readonly deadline: Date | null;
  readonly endedAt: Date | null;
  readonly steps: readonly BootstrapStepView[];
}

export class BootstrapSessionQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** At most `first` sessions of the endpoint started before position `beforePosition` (exclusive), newest first. */
  sessions(endpoint: string, first: number, beforePosition = Number.MAX_SAFE_INTEGER): readonly BootstrapSessionView[] {
    return prepared(this.#db, 'SELECT * FROM bootstrap_sessions WHERE endpoint = ? AND position < ? ORDER BY position DESC LIMIT ?')
      .all(endpoint, beforePosition, first)
      .map((row) => this.#view(row));
  }

  session(sessionId: string): BootstrapSessionView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM bootstrap_sessions WHERE session_id = ?').get(sessionId);
    return row ? this.#view(row) : undefined;
  }

  #view(row: Record<string, SQLOutputValue>): BootstrapSessionView {
    const sessionId = String(row['session_id']);
    const steps = prepared(this.#db, 'SELECT * FROM bootstrap_steps WHERE session_id = ? ORDER BY step').all(sessionId).map(toStep);
    return {
      sessionId,
      position: Number(row['position']),
      endpoint: String(row['endpoint']),
      address: String(row['address']),
      port: Number(row['port']),
      channel: String(row['channel']),
      identityKind: String(row['identity_kind']),
      identityValue: String(row['identity_value']),
      preferredContentFormat: nullableNumber(row['preferred_content_format']),
      contentFormat: nullableNumber(row['content_format']),
      bootstrapAccounts: keptAccounts(row['kept_accounts']),
      bootstrapAccountsBasis: nullableString(row['kept_accounts_basis']),
      status: String(row['status']) as BootstrapSessionStatus,
      reason: nullableString(row['reason']),
      failedStep: nullableNumber(row['failed_step']),
      code: nullableString(row['code']),
      detail: nullableString(row['detail']),
      startedAt: new Date(String(row['started_at'])),
      deadline: nullableDate(row['deadline']),
      endedAt: nullableDate(row['ended_at']),
      steps,
    };
  }
}

function toStep(row: Record<string, SQLOutputValue>): BootstrapStepView {
  return {
    step: Number(row['step']),
    kind: String(row['kind']),
    target: String(row['target']),
    purpose: nullableString(row['purpose']),
    sentAt: nullableDate(row['sent_at']),
    answeredAt: nullableDate(row['answered_at']),
    code: nullableString(row['code']),
    answer: nullableString(row['content']),
  };
}

/** The JSON array of instance ids the projection wrote. */
function keptAccounts(value: SQLOutputValue | undefined): readonly number[] | null {
  if (typeof value !== 'string') return null;
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.filter((id): id is number => typeof id === 'number') : null;
}

function nullableString(value: SQLOutputValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

function nullableNumber(value: SQLOutputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function nullableDate(value: SQLOutputValue | undefined): Date | null {
  return value === null || value === undefined ? null : new Date(String(value));
}
