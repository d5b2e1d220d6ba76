/** The read models' progress, for an admin watching a rebuild. */
import { requireRole } from '../Authorization.ts';
import type { QueryResolvers } from '../generated/resolvers-types.ts';

export const readModelQueryResolvers: QueryResolvers = {
  async readModels(_parent, _args, context) {
    requireRole(context, 'admin');
    const status = await context.services.readModels.status();
    return { head: status.head, rebuilding: status.rebuilding, readModels: [...status.projections] };
  },
};
