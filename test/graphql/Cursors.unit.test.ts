import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/DomainError.ts';
import { decodeCursor, decodePositionCursor, encodeCursor, pageSize } from '../../src/graphql/Cursors.ts';

describe('cursors', () => {
  it('round-trip any key', () => {
    fc.assert(fc.property(fc.string(), (key) => decodeCursor('device', encodeCursor('device', key)) === key));
    fc.assert(fc.property(fc.nat(), (position) => decodePositionCursor('history', encodeCursor('history', String(position))) === position));
  });

  it("refuse another list's cursor or garbage as BAD_USER_INPUT", () => {
    const refused = (work: () => unknown) => {
      try {
        work();
      } catch (error) {
        return error instanceof DomainError && error.code === 'BAD_USER_INPUT';
      }
      return false;
    };
    expect(refused(() => decodeCursor('history', encodeCursor('device', 'a')))).toBe(true);
    expect(refused(() => decodePositionCursor('history', encodeCursor('history', 'not-a-number')))).toBe(true);
    fc.assert(
      fc.property(fc.string(), (garbage) => {
        fc.pre(!Buffer.from(garbage, 'base64url').toString('utf8').startsWith('device:'));
        return refused(() => decodeCursor('device', garbage));
      }),
    );
  });

  it('bound page sizes', () => {
    expect(pageSize(undefined, 50)).toBe(50);
    expect(pageSize(0, 50)).toBe(0);
    expect(pageSize(500, 50)).toBe(500);
    expect(() => pageSize(501, 50)).toThrow(DomainError);
    expect(() => pageSize(-1, 50)).toThrow(DomainError);
  });
});
