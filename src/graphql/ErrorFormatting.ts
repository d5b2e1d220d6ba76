/**
 * What clients learn from an error. A DomainError reaches them with its code in `extensions.code`
 * and its details (e.g. the CSV's row errors); errors of the GraphQL layer itself (syntax,
 * validation, limits, bad variables) keep their message and code; anything else is unexpected: it is
 * logged with its stack and the client sees only "Internal server error", so internals never leak.
 */
import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from '../adapters/logging/Logger.ts';
import { DomainError } from '../domain/DomainError.ts';
import { SubscriberTooSlow } from './ProjectionFeed.ts';

/** Codes the GraphQL layer (graphql-js, Apollo) sets on errors that are the client's doing. */
const clientErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** The error a resolver threw, beneath the GraphQLErrors that wrap it. */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const cause = rootCause(error);
  if (cause instanceof DomainError) {
    return { ...formatted, message: cause.message, extensions: { ...cause.details, code: cause.code } };
  }
  if (cause instanceof SubscriberTooSlow) {
    return { ...formatted, message: cause.message, extensions: { code: 'LIMIT_EXCEEDED' } };
  }
  // graphql-js's own errors (no original error): syntax, validation, variable coercion, scalar parsing.
  if (cause instanceof GraphQLError) {
    const code = formatted.extensions?.['code'];
    return { ...formatted, extensions: { ...formatted.extensions, code: typeof code === 'string' ? code : 'GRAPHQL_VALIDATION_FAILED' } };
  }
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && clientErrorCodes.has(code)) return formatted;
  logger.error({ err: cause, path: formatted.path }, 'unexpected error in a GraphQL operation');
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
