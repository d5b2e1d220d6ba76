import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/DomainError.ts';
import { formatGraphQLError } from '../../src/graphql/ErrorFormatting.ts';

function capturingLogger() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  return { logger, lines };
}

/** As graphql-js reports an error thrown by a resolver. */
function thrownByResolver(error: Error): GraphQLError {
  return new GraphQLError(error.message, { path: ['devices'], originalError: error });
}

describe('formatGraphQLError', () => {
  it('gives a DomainError its code and details', () => {
    const { logger, lines } = capturingLogger();
    const error = thrownByResolver(new DomainError('BAD_USER_INPUT', 'bad rows', { rowErrors: [{ line: 3, column: 'securityMode' }] }));
    const formatted = formatGraphQLError(error.toJSON(), error, logger);
    expect(formatted).toMatchObject({ message: 'bad rows', path: ['devices'], extensions: { code: 'BAD_USER_INPUT', rowErrors: [{ line: 3, column: 'securityMode' }] } });
    expect(lines).toEqual([]);
  });

  it('masks an unexpected error and logs it', () => {
    const { logger, lines } = capturingLogger();
    const error = thrownByResolver(new Error('SQLITE_CORRUPT at /var/lib/secret/path'));
    const formatted = formatGraphQLError(error.toJSON(), error, logger);
    expect(formatted).toEqual({ message: 'Internal server error', path: ['devices'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(formatted)).not.toContain('SQLITE');
    expect(lines.join('')).toContain('SQLITE_CORRUPT');
  });

  it("keeps graphql-js's own errors, which are the client's doing", () => {
    const { logger } = capturingLogger();
    const error = new GraphQLError('Cannot query field "nope" on type "Query".');
    expect(formatGraphQLError(error.toJSON(), error, logger)).toMatchObject({
      message: 'Cannot query field "nope" on type "Query".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });
});
