/**
 * The API as the HTTP and WebSocket transport serves it: the executable schema of the resolvers, tokens
 * checked by the token registry, one context per operation with its own correlation id, errors told
 * with their `extensions.code`, and the depth and cost limits. The transport knows none of these.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../domain/auth/ApiTokens.ts';
import { formatGraphQLError } from './ErrorFormatting.ts';
import { buildExecutableSchema } from './ExecutableSchema.ts';
import type { ApiServices, GraphQLContext } from './GraphQLContext.ts';
import type { OperationLimits } from './limits/OperationLimits.ts';
import { defaultOperationLimits, operationLimitRules } from './limits/OperationLimits.ts';
import { resolvers } from './Resolvers.ts';

export interface GraphQLApiOptions {
  readonly services: ApiServices;
  /** The caller a bearer token stands for (the token registry), or undefined. */
  authenticate(token: string): Promise<Principal | undefined>;
  readonly limits?: OperationLimits;
}

export function graphqlApi(options: GraphQLApiOptions) {
  const { services } = options;
  return {
    schema: buildExecutableSchema(resolvers),
    authenticate: (token: string) => options.authenticate(token),
    contextFor: (principal: Principal): GraphQLContext => ({ principal, correlationId: randomUUID(), services }),
    formatError: formatGraphQLError,
    validationRules: operationLimitRules(options.limits ?? defaultOperationLimits),
  };
}
