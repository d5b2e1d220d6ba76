/**
 * API tokens and their roles. A token is a bearer secret: it enters the log only sealed, and is found
 * again by its fingerprint (SealedSecret.ts), never by decrypting.
 *
 * Roles are ordered: an admin may do what an operator may, an operator what a viewer may.
 * viewer: queries and subscriptions; operator: imports and decommissions; admin: rebuilds read models.
 */
import type { SealedSecret } from '../SealedSecret.ts';

export type ApiRole = 'viewer' | 'operator' | 'admin';

export const apiRoles: readonly ApiRole[] = ['viewer', 'operator', 'admin'];

export function isApiRole(value: string): value is ApiRole {
  return (apiRoles as readonly string[]).includes(value);
}

export function roleAllows(role: ApiRole, required: ApiRole): boolean {
  return apiRoles.indexOf(role) >= apiRoles.indexOf(required);
}

export const apiTokensStream = 'api-tokens';

export interface ApiTokenCreated {
  readonly tokenId: string;
  readonly role: ApiRole;
  readonly token: SealedSecret;
  readonly description: string | null;
}

export type ApiTokenEvent = { readonly type: 'ApiTokenCreated'; readonly data: ApiTokenCreated };

/** Who is calling: the token's id (never the token) and its role. */
export interface Principal {
  readonly tokenId: string;
  readonly role: ApiRole;
}
