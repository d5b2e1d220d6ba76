/**
 * The bootstrap sessions of each endpoint, from the `bootstrap-<endpoint>` streams: one row per
 * session (started, or refused before it started) with its outcome and the Security instances its
 * writes avoid, and one row per step of its plan with when it was sent and what the device answered
 * (a Bootstrap-Discover's link-format answer too). A revised plan replaces the steps after the
 * Discover that revised it. No written payload is recorded anywhere: the events carry none. A session
 * is listed under its stream's endpoint (the device's endpoint name, or the unknown `ep` a refused
 * request sent).
 */
import type { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '../../adapters/eventstore/EventStore.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import { bootstrapStreamPrefix, recordedChannel } from '../../domain/bootstrap/BootstrapEvents.ts';
import type { BootstrapEvent } from '../../domain/bootstrap/BootstrapEvents.ts';
import type { BootstrapStepDescription } from '../../domain/bootstrap/BootstrapPlan.ts';
import type { Projection } from '../Projection.ts';
import { prepared } from '../PreparedStatements.ts';

export const bootstrapSessionsProjection: Projection = {
  name: 'bootstrap-sessions',
  // 2: the DTLS channel reads 'psk', as registrations have it; Discover answers; the kept accounts.
  version: 2,
  filter: { streamPrefixes: [bootstrapStreamPrefix] },
  create(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS bootstrap_sessions (
      session_id TEXT PRIMARY KEY,
      position INTEGER NOT NULL,
      endpoint TEXT NOT NULL,
      address TEXT NOT NULL,
      port INTEGER NOT NULL,
      channel TEXT NOT NULL,
      identity_kind TEXT NOT NULL,
      identity_value TEXT NOT NULL,
      preferred_content_format INTEGER,
      content_format INTEGER,
      kept_accounts TEXT,
      kept_accounts_basis TEXT,
      status TEXT NOT NULL,
      reason TEXT,
      failed_step INTEGER,
      code TEXT,
      detail TEXT,
      started_at TEXT NOT NULL,
      deadline TEXT,
      ended_at TEXT
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS bootstrap_sessions_by_endpoint ON bootstrap_sessions (endpoint, position)');
    db.exec(`CREATE TABLE IF NOT EXISTS bootstrap_steps (
      session_id TEXT NOT NULL,
      step INTEGER NOT NULL,
      kind TEXT NOT NULL,
      target TEXT NOT NULL,
      purpose TEXT,
      sent_at TEXT,
      answered_at TEXT,
      code TEXT,
      content TEXT,
      PRIMARY KEY (session_id, step)
    )`);
  },
  drop(db: DatabaseSync): void {
    db.exec('DROP TABLE IF EXISTS bootstrap_steps');
    db.exec('DROP TABLE IF EXISTS bootstrap_sessions');
  },
  apply(db: DatabaseSync, recorded: RecordedEvent): void {
    const event = toDomainEvent<BootstrapEvent>(recorded);
    switch (event.type) {
      case 'BootstrapSessionStarted': {
        const d = event.data;
        prepared(
          db,
          `INSERT INTO bootstrap_sessions (session_id, position, endpoint, address, port, channel, identity_kind, identity_value,
             preferred_content_format, content_format, kept_accounts, kept_accounts_basis, status, started_at, deadline)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
        ).run(
          d.sessionId,
          recorded.position,
          d.endpoint,
          d.peer.address,
          d.peer.port,
          recordedChannel(d.peer.channel),
          d.identity.kind,
          d.identity.value,
          d.preferredContentFormat,
          d.contentFormat,
          d.keptAccounts === undefined ? null : JSON.stringify(d.keptAccounts.securityInstances),
          d.keptAccounts?.basis ?? null,
          d.startedAt,
          d.deadline,
        );
        insertSteps(db, d.sessionId, d.steps, 0);
        return;
      }
      case 'BootstrapPlanRevised': {
        const d = event.data;
        prepared(db, 'UPDATE bootstrap_sessions SET kept_accounts = ?, kept_accounts_basis = ? WHERE session_id = ?').run(JSON.stringify(d.keptAccounts.securityInstances), d.keptAccounts.basis, d.sessionId);
        prepared(db, 'DELETE FROM bootstrap_steps WHERE session_id = ? AND step > ?').run(d.sessionId, d.step);
        insertSteps(db, d.sessionId, d.steps, d.step + 1);
        return;
      }
      case 'BootstrapStepSent':
        prepared(db, 'UPDATE bootstrap_steps SET sent_at = ? WHERE session_id = ? AND step = ?').run(event.data.at, event.data.sessionId, event.data.step);
        return;
      case 'BootstrapStepAnswered':
        prepared(db, 'UPDATE bootstrap_steps SET answered_at = ?, code = ?, content = ? WHERE session_id = ? AND step = ?').run(
          event.data.at,
          event.data.code,
          event.data.content ?? null,
          event.data.sessionId,
          event.data.step,
        );
        return;
      case 'BootstrapSessionFinished':
        prepared(db, "UPDATE bootstrap_sessions SET status = 'finished', ended_at = ? WHERE session_id = ?").run(event.data.at, event.data.sessionId);
        return;
      case 'BootstrapSessionFailed': {
        const d = event.data;
        prepared(db, "UPDATE bootstrap_sessions SET status = 'failed', reason = ?, failed_step = ?, code = ?, detail = ?, ended_at = ? WHERE session_id = ?").run(
          d.reason,
          d.step,
          d.code,
          d.detail,
          d.at,
          d.sessionId,
        );
        return;
      }
      case 'BootstrapRequestRefused': {
        const d = event.data;
        prepared(
          db,
          `INSERT INTO bootstrap_sessions (session_id, position, endpoint, address, port, channel, identity_kind, identity_value,
             status, reason, detail, started_at, ended_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'refused', ?, ?, ?, ?)`,
        ).run(
          d.sessionId,
          recorded.position,
          // The stream's endpoint: the device's name even when the request named it by its external id.
          recorded.stream.slice(bootstrapStreamPrefix.length),
          d.peer.address,
          d.peer.port,
          recordedChannel(d.peer.channel),
          d.identity.kind,
          d.identity.value,
          d.reason,
          d.activeSessionId === null ? null : `session ${d.activeSessionId} is under way`,
          d.at,
          d.at,
        );
        return;
      }
    }
  },
};

/** The plan's steps from index `from` on. */
function insertSteps(db: DatabaseSync, sessionId: string, steps: readonly BootstrapStepDescription[], from: number): void {
  const insertStep = prepared(db, 'INSERT INTO bootstrap_steps (session_id, step, kind, target, purpose) VALUES (?, ?, ?, ?, ?)');
  for (const [index, step] of steps.entries()) if (index >= from) insertStep.run(sessionId, index, step.kind, step.target, step.purpose);
}
