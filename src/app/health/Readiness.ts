/**
 * Whether the service can do its work now, part by part: the event store answers, the read models
 * are caught up with the log (each has applied every event it reads that was recorded more than
 * `maxProjectionLagMs` ago, and none has failed or is being rebuilt), and the CoAP and DTLS ports
 * are open. Each check says what is wrong, so that a 503 names the reason.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { ProjectorStatus } from '../../projections/Projector.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';

export interface ReadinessCheck {
  readonly name: string;
  /** Undefined when the part is ready; otherwise why not. */
  check(): Promise<string | undefined>;
}

export interface Readiness {
  readonly ready: boolean;
  /** Every failed check's reason, prefixed with its name. */
  readonly reasons: readonly string[];
}

/** The read models may be this far behind the log and the service still ready. */
export const defaultMaxProjectionLagMs = 30_000;

export async function evaluateReadiness(checks: readonly ReadinessCheck[]): Promise<Readiness> {
  const reasons: string[] = [];
  for (const part of checks) {
    let reason: string | undefined;
    try {
      reason = await part.check();
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    if (reason !== undefined) reasons.push(`${part.name}: ${reason}`);
  }
  return { ready: reasons.length === 0, reasons };
}

export function eventStoreCheck(store: Pick<EventStore, 'health'>): ReadinessCheck {
  return {
    name: 'event store',
    check() {
      const health = store.health();
      return Promise.resolve(health.ok ? undefined : (health.reason ?? 'unavailable'));
    },
  };
}

export function readModelsCheck(projector: { status(): Promise<ProjectorStatus> }, clock: Clock, maxLagMs = defaultMaxProjectionLagMs): ReadinessCheck {
  return {
    name: 'read models',
    async check() {
      const status = await projector.status();
      if (status.rebuilding) return 'being rebuilt from the log';
      const problems: string[] = [];
      for (const projection of status.projections) {
        const lagMs = projection.oldestUnappliedAt === null ? 0 : clock.now().getTime() - projection.oldestUnappliedAt.getTime();
        if (projection.failure !== null) problems.push(`${projection.name} has failed (${projection.failure})`);
        else if (lagMs > maxLagMs) problems.push(`${projection.name} is ${Math.round(lagMs / 1000)} s behind the log (at most ${maxLagMs / 1000} s)`);
      }
      return problems.length === 0 ? undefined : problems.join('; ');
    },
  };
}

export function socketsCheck(sockets: ReadonlyArray<{ readonly name: string; listening(): boolean }>): ReadinessCheck {
  return {
    name: 'sockets',
    check() {
      const closed = sockets.filter((socket) => !socket.listening()).map((socket) => socket.name);
      return Promise.resolve(closed.length === 0 ? undefined : `not open: ${closed.join(', ')}`);
    },
  };
}
