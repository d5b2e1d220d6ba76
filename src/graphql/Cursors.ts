/**
 * Relay cursors: opaque to clients (base64url), and checked when they come back, so that a cursor of
 * one connection given to another is a BAD_USER_INPUT, not a wrong page.
 */
import { DomainError } from '../domain/DomainError.ts';

export function encodeCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}:`;
  if (!decoded.startsWith(prefix)) throw new DomainError('BAD_USER_INPUT', `"${cursor}" is not a cursor of this list`, { cursor });
  return decoded.slice(prefix.length);
}

export function decodePositionCursor(kind: string, cursor: string): number {
  const key = decodeCursor(kind, cursor);
  if (!/^\d{1,16}$/.test(key)) throw new DomainError('BAD_USER_INPUT', `"${cursor}" is not a cursor of this list`, { cursor });
  return Number(key);
}

export const maxPageSize = 500;

/** Checks `first` (the page size a client asks for) against the bounds. */
export function pageSize(first: number | null | undefined, defaultSize: number): number {
  const size = first ?? defaultSize;
  if (!Number.isInteger(size) || size < 0 || size > maxPageSize) {
    throw new DomainError('BAD_USER_INPUT', `first must be between 0 and ${maxPageSize}`, { first: size });
  }
  return size;
}
