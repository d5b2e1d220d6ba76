/** Who is calling: a client (the console) offers only the actions the token's role allows. */
import type { ApiRole } from '../../domain/auth/ApiTokens.ts';
import { requireRole } from '../Authorization.ts';
import type { ApiRole as ApiRoleName, QueryResolvers } from '../generated/resolvers-types.ts';

const roleToApi: Readonly<Record<ApiRole, ApiRoleName>> = { viewer: 'VIEWER', operator: 'OPERATOR', admin: 'ADMIN' };

export const callerQueryResolvers: QueryResolvers = {
  me(_parent, _args, context) {
    requireRole(context, 'viewer');
    return { tokenId: context.principal.tokenId, role: roleToApi[context.principal.role] };
  },
};
