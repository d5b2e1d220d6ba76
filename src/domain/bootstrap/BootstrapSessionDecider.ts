/**
 * Bootstrap sessions of one endpoint, on the stream `bootstrap-<endpoint>` (LwM2M Core 1.1 section
 * 6.1: the Bootstrap-Request, the server's Discover/Delete/Write requests, Bootstrap-Finish; Core 1.2
 * section 6.1.7: the Bootstrap-Pack-Request and its pack).
 *
 * Rules:
 * - One session at a time. A request while a session is under way and within its deadline is refused
 *   ('concurrent-bootstrap'); two requests that race both decide on the same revision, and the one
 *   whose append loses on the stream's expected revision decides again on the winner's session and is
 *   refused the same way.
 * - A session that has not finished by its deadline (the start plus the server's session timeout,
 *   given in the command) ends as failed ('timeout'), either by `ExpireSession` or when the next
 *   request of the endpoint arrives: that request then starts a fresh session.
 * - Steps are sent in the plan's order, each answered before the next is sent. A 2.xx answer moves on
 *   (Bootstrap-Finish's 2.04 finishes the session); an error answer fails it ('device-error'), except
 *   to Bootstrap-Discover, which only informs (a client may not support it) and never fails a session.
 * - A Bootstrap-Pack (Core 1.2 section 6.1.7) is the server's answer to the client's request, not a
 *   request the client answers: sending it finishes the session (the client applies the pack and
 *   registers; there is no Bootstrap-Finish).
 * - A Bootstrap-Discover's answer is kept with the step (its first `maxRecordedContent` characters: a
 *   device cannot grow the log with it). A successful one may come with the plan revised from it
 *   (the instance ids that avoid the accounts the device keeps, BootstrapPlan.ts): recorded as
 *   BootstrapPlanRevised, after which the session runs the revised steps.
 * - Commands of a session that is no longer the active one (it failed, timed out, or another started)
 *   are refused with SessionNotActive, which tells the runner to stop.
 *
 * Time is in the commands (`now`), never read here.
 */
import type { Decider } from '../Decider.ts';
import { DomainError } from '../DomainError.ts';
import type { BootstrapStepDescription, KeptAccounts } from './BootstrapPlan.ts';
import type { BootstrapEvent, BootstrapFailureReason, BootstrapIdentity, BootstrapPeer, BootstrapRefusalReason } from './BootstrapEvents.ts';

export interface ActiveBootstrapSession {
  readonly sessionId: string;
  readonly steps: readonly BootstrapStepDescription[];
  readonly deadline: string;
  /** The step to send next, or the one awaiting its answer. */
  readonly step: number;
  readonly awaitingAnswer: boolean;
}

export interface BootstrapSessionState {
  readonly active: ActiveBootstrapSession | null;
}

/** The device's plan as the session records it, or the reason the request has none. */
export type BootstrapPlanOutcome =
  | {
      readonly ok: true;
      /** The device's endpoint name (the request may have named it by its external bootstrap id). */
      readonly endpoint: string;
      readonly preferredContentFormat: number | null;
      readonly contentFormat: number;
      readonly keptAccounts: KeptAccounts;
      readonly steps: readonly BootstrapStepDescription[];
    }
  | { readonly ok: false; readonly reason: Exclude<BootstrapRefusalReason, 'concurrent-bootstrap'> };

/** The plan as a Bootstrap-Discover's answer revised it; its steps up to the Discover are the session's own. */
export interface BootstrapPlanRevision {
  readonly keptAccounts: KeptAccounts;
  readonly steps: readonly BootstrapStepDescription[];
}

/** How much of a Bootstrap-Discover's answer is kept: a whole answer of a device with the core objects fits. */
export const maxRecordedContent = 2048;

export type BootstrapSessionCommand =
  | {
      readonly type: 'RequestBootstrap';
      readonly sessionId: string;
      /** The `ep` of the request. */
      readonly requestedEndpoint: string;
      readonly peer: BootstrapPeer;
      readonly identity: BootstrapIdentity;
      readonly plan: BootstrapPlanOutcome;
      readonly now: Date;
      readonly sessionTimeoutSeconds: number;
    }
  | { readonly type: 'SendStep'; readonly sessionId: string; readonly step: number; readonly now: Date }
  | {
      readonly type: 'RecordAnswer';
      readonly sessionId: string;
      readonly step: number;
      readonly code: string;
      /** A Bootstrap-Discover's answer, as text. */
      readonly content?: string;
      readonly revision?: BootstrapPlanRevision;
      readonly now: Date;
    }
  | {
      readonly type: 'RecordNoAnswer';
      readonly sessionId: string;
      readonly step: number;
      readonly reason: Exclude<BootstrapFailureReason, 'device-error'>;
      readonly detail: string;
      readonly now: Date;
    }
  | { readonly type: 'ExpireSession'; readonly sessionId: string; readonly now: Date };

/** The command names a session that is not (or no longer) the active one, or a step out of order. */
export class SessionNotActive extends DomainError {
  constructor(sessionId: string, reason: string) {
    super('CONFLICT', `bootstrap session ${sessionId}: ${reason}`, { sessionId });
  }
}

const initialState: BootstrapSessionState = { active: null };

function isSuccess(code: string): boolean {
  return code.startsWith('2.');
}

function expired(session: ActiveBootstrapSession, now: Date): boolean {
  return now.getTime() >= Date.parse(session.deadline);
}

function activeStep(state: BootstrapSessionState, sessionId: string, step: number, awaitingAnswer: boolean): ActiveBootstrapSession {
  const session = state.active;
  if (session?.sessionId !== sessionId) throw new SessionNotActive(sessionId, 'it is not the active session');
  if (session.step !== step || session.awaitingAnswer !== awaitingAnswer) {
    throw new SessionNotActive(sessionId, `step ${step} is out of order (at step ${session.step}, ${session.awaitingAnswer ? 'awaiting its answer' : 'not sent'})`);
  }
  return session;
}

function timedOut(session: ActiveBootstrapSession, now: Date): BootstrapEvent {
  return {
    type: 'BootstrapSessionFailed',
    data: {
      sessionId: session.sessionId,
      reason: 'timeout',
      step: session.awaitingAnswer ? session.step : null,
      code: null,
      detail: `the session did not finish by its deadline ${session.deadline}`,
      at: now.toISOString(),
    },
  };
}

type RequestBootstrap = Extract<BootstrapSessionCommand, { type: 'RequestBootstrap' }>;

/** The refusal of a Bootstrap-Request: a session already under way (its id), or no plan for the endpoint. */
function refused(command: RequestBootstrap, reason: BootstrapRefusalReason, activeSessionId: string | null): BootstrapEvent {
  return {
    type: 'BootstrapRequestRefused',
    data: {
      sessionId: command.sessionId,
      endpoint: command.requestedEndpoint,
      peer: command.peer,
      identity: command.identity,
      reason,
      activeSessionId,
      at: command.now.toISOString(),
    },
  };
}

export const bootstrapSessionDecider: Decider<BootstrapSessionCommand, BootstrapEvent, BootstrapSessionState> = {
  initialState,

  decide(command, state) {
    const at = command.now.toISOString();
    switch (command.type) {
      case 'RequestBootstrap': {
        const events: BootstrapEvent[] = [];
        const active = state.active;
        if (active !== null) {
          if (!expired(active, command.now)) {
            return [refused(command, 'concurrent-bootstrap', active.sessionId)];
          }
          events.push(timedOut(active, command.now));
        }
        const plan = command.plan;
        if (!plan.ok) {
          events.push(refused(command, plan.reason, null));
          return events;
        }
        events.push({
          type: 'BootstrapSessionStarted',
          data: {
            sessionId: command.sessionId,
            endpoint: plan.endpoint,
            peer: command.peer,
            identity: command.identity,
            preferredContentFormat: plan.preferredContentFormat,
            contentFormat: plan.contentFormat,
            keptAccounts: plan.keptAccounts,
            steps: plan.steps,
            startedAt: at,
            deadline: new Date(command.now.getTime() + command.sessionTimeoutSeconds * 1000).toISOString(),
          },
        });
        return events;
      }
      case 'SendStep': {
        const session = activeStep(state, command.sessionId, command.step, false);
        if (expired(session, command.now)) return [timedOut(session, command.now)];
        const sent: BootstrapEvent = { type: 'BootstrapStepSent', data: { sessionId: command.sessionId, step: command.step, at } };
        if (session.steps[command.step]?.kind === 'pack') return [sent, { type: 'BootstrapSessionFinished', data: { sessionId: command.sessionId, at } }];
        return [sent];
      }
      case 'RecordAnswer': {
        const session = activeStep(state, command.sessionId, command.step, true);
        const kind = session.steps[command.step]?.kind;
        const content = kind === 'discover' && command.content !== undefined ? { content: command.content.slice(0, maxRecordedContent) } : {};
        const answered: BootstrapEvent = { type: 'BootstrapStepAnswered', data: { sessionId: command.sessionId, step: command.step, code: command.code, ...content, at } };
        if (isSuccess(command.code) || kind === 'discover') {
          if (kind === 'finish') return [answered, { type: 'BootstrapSessionFinished', data: { sessionId: command.sessionId, at } }];
          const revision = command.revision;
          if (kind === 'discover' && isSuccess(command.code) && revision !== undefined) {
            return [answered, { type: 'BootstrapPlanRevised', data: { sessionId: command.sessionId, step: command.step, keptAccounts: revision.keptAccounts, steps: revision.steps, at } }];
          }
          return [answered];
        }
        return [
          answered,
          {
            type: 'BootstrapSessionFailed',
            data: {
              sessionId: command.sessionId,
              reason: 'device-error',
              step: command.step,
              code: command.code,
              detail: `the device answered ${command.code} to ${kind ?? 'step'} ${session.steps[command.step]?.target ?? ''}`.trimEnd(),
              at,
            },
          },
        ];
      }
      case 'RecordNoAnswer': {
        activeStep(state, command.sessionId, command.step, true);
        return [
          {
            type: 'BootstrapSessionFailed',
            data: { sessionId: command.sessionId, reason: command.reason, step: command.step, code: null, detail: command.detail, at },
          },
        ];
      }
      case 'ExpireSession': {
        const session = state.active;
        if (session?.sessionId !== command.sessionId || !expired(session, command.now)) return [];
        return [timedOut(session, command.now)];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'BootstrapSessionStarted':
        return {
          active: { sessionId: event.data.sessionId, steps: event.data.steps, deadline: event.data.deadline, step: 0, awaitingAnswer: false },
        };
      case 'BootstrapStepSent':
        return state.active === null ? state : { active: { ...state.active, awaitingAnswer: true } };
      case 'BootstrapStepAnswered':
        return state.active === null ? state : { active: { ...state.active, step: state.active.step + 1, awaitingAnswer: false } };
      case 'BootstrapPlanRevised':
        return state.active?.sessionId === event.data.sessionId ? { active: { ...state.active, steps: event.data.steps } } : state;
      case 'BootstrapSessionFinished':
      case 'BootstrapSessionFailed':
        return state.active?.sessionId === event.data.sessionId ? { active: null } : state;
      case 'BootstrapRequestRefused':
        return state;
    }
  },
};
