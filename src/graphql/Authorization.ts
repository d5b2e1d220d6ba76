/** Role checks, made in resolvers so that HTTP and WebSocket operations obey the same rules. */
import type { ApiRole } from '../domain/auth/ApiTokens.ts';
import { roleAllows } from '../domain/auth/ApiTokens.ts';
import { DomainError } from '../domain/DomainError.ts';
import type { GraphQLContext } from './GraphQLContext.ts';

export function requireRole(context: GraphQLContext, required: ApiRole): void {
  if (!roleAllows(context.principal.role, required)) {
    throw new DomainError('FORBIDDEN', `this needs the ${required} role; the token has the ${context.principal.role} role`, {
      requiredRole: required,
    });
  }
}
