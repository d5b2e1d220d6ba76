/** The device shell: run commands (operator), read the shell history and follow its lines (viewer). */
import type { ShellLineStatus as ViewStatus } from '../../app/shell/ShellService.ts';
import { requireRole } from '../Authorization.ts';
import { connection } from '../Connections.ts';
import { decodePositionCursor, encodeCursor, pageSize } from '../Cursors.ts';
import { requestContextOf } from '../GraphQLContext.ts';
import type { MutationResolvers, QueryResolvers, ShellLineResolvers, ShellLineStatus, SubscriptionResolvers } from '../generated/resolvers-types.ts';
import { listenerFeed } from '../ProjectionFeed.ts';

const shellLineCursorKind = 'shell-line';

const statusToApi: Readonly<Record<ViewStatus, ShellLineStatus>> = {
  pending: 'PENDING',
  sent: 'SENT',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

export const shellQueryResolvers: QueryResolvers = {
  async shellHistory(_parent, { endpoint, first, after }, context) {
    requireRole(context, 'viewer');
    const size = pageSize(first, 50);
    const afterPosition = after ? decodePositionCursor(shellLineCursorKind, after) : 0;
    const page = await context.services.shell.history(endpoint, size, afterPosition);
    return connection(page.lines, page.hasNextPage, page.totalCount, after, (line) => encodeCursor(shellLineCursorKind, String(line.position)));
  },
};

export const shellMutationResolvers: MutationResolvers = {
  shell(_parent, { endpoint, command, waitSeconds }, context) {
    requireRole(context, 'operator');
    return context.services.shell.run(endpoint, command, requestContextOf(context), { waitMs: (waitSeconds ?? 0) * 1000 });
  },
};

export const shellSubscriptionResolvers: SubscriptionResolvers = {
  shellLineUpdated: {
    subscribe(_parent, { endpoint }, context) {
      requireRole(context, 'viewer');
      return listenerFeed((emit) => context.services.shell.onLineUpdated(endpoint, (line) => emit({ shellLineUpdated: line })));
    },
  },
};

export const shellLineTypeResolvers: ShellLineResolvers = {
  id: (line) => line.operationId ?? line.firmwareUpdateId ?? String(line.position),
  status: (line) => statusToApi[line.status],
  operation: (line, _args, context) => (line.operationId === null ? null : (context.services.deviceManagement.operation(line.operationId) ?? null)),
};
