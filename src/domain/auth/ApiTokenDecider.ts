/**
 * The `api-tokens` stream's decider: a token is created as it comes (its random secret arrives sealed
 * inside the command), except the first start's admin token, created only while the stream holds no
 * admin token, so that two processes starting at once create one between them.
 */
import type { Decider } from '../Decider.ts';
import type { ApiTokenCreated, ApiTokenEvent } from './ApiTokens.ts';

export type ApiTokenCommand =
  | { readonly type: 'CreateApiToken'; readonly token: ApiTokenCreated }
  | { readonly type: 'CreateFirstAdminToken'; readonly token: ApiTokenCreated & { readonly role: 'admin' } };

export interface ApiTokensState {
  readonly hasAdmin: boolean;
}

export const apiTokenDecider: Decider<ApiTokenCommand, ApiTokenEvent, ApiTokensState> = {
  initialState: { hasAdmin: false },
  decide(command, state) {
    if (command.type === 'CreateFirstAdminToken' && state.hasAdmin) return [];
    return [{ type: 'ApiTokenCreated', data: command.token }];
  },
  evolve(state, event) {
    return event.data.role === 'admin' ? { hasAdmin: true } : state;
  },
};
