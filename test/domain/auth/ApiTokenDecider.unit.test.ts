import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import { apiTokenDecider } from '../../../src/domain/auth/ApiTokenDecider.ts';
import type { ApiRole, ApiTokenCreated } from '../../../src/domain/auth/ApiTokens.ts';

function token(tokenId: string, role: ApiRole): ApiTokenCreated {
  return { tokenId, role, token: { sealed: `sealed-${tokenId}`, fingerprint: `fingerprint-${tokenId}` }, description: null };
}

describe('apiTokenDecider', () => {
  it('creates every token asked for, whatever the stream holds', () => {
    const state = foldEvents(apiTokenDecider, [{ type: 'ApiTokenCreated', data: token('admin-1', 'admin') }]);
    expect(apiTokenDecider.decide({ type: 'CreateApiToken', token: token('admin-2', 'admin') }, state)).toEqual([{ type: 'ApiTokenCreated', data: token('admin-2', 'admin') }]);
  });

  it('creates the first start\'s admin token only while no admin token exists, other roles notwithstanding', () => {
    const first = { type: 'CreateFirstAdminToken', token: { ...token('first', 'admin'), role: 'admin' } } as const;
    const viewersOnly = foldEvents(apiTokenDecider, [{ type: 'ApiTokenCreated', data: token('viewer-1', 'viewer') }]);
    expect(apiTokenDecider.decide(first, viewersOnly)).toEqual([{ type: 'ApiTokenCreated', data: first.token }]);
    const withAdmin = apiTokenDecider.evolve(viewersOnly, { type: 'ApiTokenCreated', data: token('admin-1', 'admin') });
    expect(apiTokenDecider.decide(first, withAdmin)).toEqual([]);
  });
});
