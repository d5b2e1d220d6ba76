/**
 * Who is calling (a client such as the console offers only the actions the token's role allows), and
 * new API tokens for an admin (`lwm2m-hub token create` beside a running service comes here).
 */
import type { ApiRole } from '../../domain/auth/ApiTokens.ts';
import { requireRole } from '../Authorization.ts';
import { actorOf } from '../GraphQLContext.ts';
import type { ApiRole as ApiRoleName, MutationResolvers, QueryResolvers } from '../generated/resolvers-types.ts';

const roleToApi: Readonly<Record<ApiRole, ApiRoleName>> = { viewer: 'VIEWER', operator: 'OPERATOR', admin: 'ADMIN' };
const roleFromApi: Readonly<Record<ApiRoleName, ApiRole>> = { VIEWER: 'viewer', OPERATOR: 'operator', ADMIN: 'admin' };

export const callerQueryResolvers: QueryResolvers = {
  me(_parent, _args, context) {
    requireRole(context, 'viewer');
    return { tokenId: context.principal.tokenId, role: roleToApi[context.principal.role] };
  },
};

export const callerMutationResolvers: MutationResolvers = {
  async createApiToken(_parent, { role, description }, context) {
    requireRole(context, 'admin');
    const created = await context.services.tokens.create({
      role: roleFromApi[role],
      actor: actorOf(context.principal),
      description: description ?? null,
      correlationId: context.correlationId,
    });
    context.services.logger.info({ tokenId: created.tokenId, role: created.role, actor: actorOf(context.principal), correlationId: context.correlationId }, 'API token created');
    return { tokenId: created.tokenId, role: roleToApi[created.role], token: created.token };
  },
};
