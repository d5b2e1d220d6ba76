/**
 * The error codes that cross the API boundary. GraphQL puts them in `extensions.code`, so they use the
 * names Apollo clients already know.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'LIMIT_EXCEEDED';

/** Base class of every error the domain raises on purpose. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}
