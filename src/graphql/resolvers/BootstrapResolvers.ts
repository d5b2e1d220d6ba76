/** Bootstrap sessions: an endpoint's sessions with their steps, and a live view of their progress. */
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { BootstrapEvent } from '../../domain/bootstrap/BootstrapEvents.ts';
import type { BootstrapSessionStatus as ViewStatus } from '../../projections/bootstrap/BootstrapSessionQueries.ts';
import { bootstrapSessionsProjection } from '../../projections/bootstrap/BootstrapSessionsProjection.ts';
import { requireRole } from '../Authorization.ts';
import { connection } from '../Connections.ts';
import { decodePositionCursor, encodeCursor, pageSize } from '../Cursors.ts';
import type { BootstrapSessionResolvers, BootstrapSessionStatus, QueryResolvers, SubscriptionResolvers } from '../generated/resolvers-types.ts';
import { projectionFeed } from '../ProjectionFeed.ts';

const sessionCursorKind = 'bootstrap-session';

const statusToApi: Readonly<Record<ViewStatus, BootstrapSessionStatus>> = {
  running: 'RUNNING',
  finished: 'FINISHED',
  failed: 'FAILED',
  refused: 'REFUSED',
};

export const bootstrapQueryResolvers: QueryResolvers = {
  bootstrapSessions(_parent, { endpoint, first, after }, context) {
    requireRole(context, 'viewer');
    const size = pageSize(first, 20);
    const before = after ? decodePositionCursor(sessionCursorKind, after) : undefined;
    const sessions = context.services.bootstrapSessions.sessions(endpoint, size + 1, before);
    return connection(sessions.slice(0, size), sessions.length > size, 0, after, (session) => encodeCursor(sessionCursorKind, String(session.position)));
  },
};

export const bootstrapSubscriptionResolvers: SubscriptionResolvers = {
  bootstrapSessionChanged: {
    subscribe(_parent, { endpoint }, context) {
      requireRole(context, 'viewer');
      const { readModels, bootstrapSessions } = context.services;
      return projectionFeed(readModels, ({ projection, event }) => {
        if (projection !== bootstrapSessionsProjection.name) return undefined;
        const session = bootstrapSessions.session(toDomainEvent<BootstrapEvent>(event).data.sessionId);
        if (!session || (endpoint && session.endpoint !== endpoint)) return undefined;
        return { bootstrapSessionChanged: session };
      });
    },
  },
};

export const bootstrapSessionTypeResolvers: BootstrapSessionResolvers = {
  id: (session) => session.sessionId,
  status: (session) => statusToApi[session.status],
  steps: (session) => [...session.steps],
};
