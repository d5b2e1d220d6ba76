/**
 * The signed-in token, kept in sessionStorage: for this tab only, gone when it closes. The role comes
 * from the service (`me`), so the console offers only what the token may do.
 */
import { computed, signal } from '@preact/signals';
import { GraphQLClient } from './GraphQLClient.ts';
import type { LiveState } from './GraphQLClient.ts';
import type { Role } from './SessionDocuments.ts';
import { meQuery } from './SessionDocuments.ts';

export interface Session {
  readonly client: GraphQLClient;
  readonly tokenId: string;
  readonly role: Role;
}

const storageKey = 'lwm2m-hub.token';


export const session = signal<Session | undefined>(undefined);

/** Whether live updates arrive: the header shows it, so that an operator knows the page is current. */
export const liveState = signal<LiveState>('idle');

/** Whether the token may change things (operator and admin): a viewer sees no button that would be refused. */
export const canOperate = computed(() => session.value !== undefined && session.value.role !== 'VIEWER');

export async function signIn(token: string): Promise<void> {
  const client = new GraphQLClient(token.trim(), { onUnauthenticated: signOut, onLiveState: (state) => (liveState.value = state) });
  const { me } = await client.request(meQuery, {});
  sessionStorage.setItem(storageKey, token.trim());
  session.value = { client, tokenId: me.tokenId, role: me.role };
}

export function signOut(): void {
  sessionStorage.removeItem(storageKey);
  session.value?.client.close();
  session.value = undefined;
  liveState.value = 'idle';
}

/** Signs in again with the tab's token after a reload; false when there is none or it is refused. */
export async function resumeSession(): Promise<boolean> {
  const token = sessionStorage.getItem(storageKey);
  if (token === null) return false;
  try {
    await signIn(token);
    return true;
  } catch {
    sessionStorage.removeItem(storageKey);
    return false;
  }
}

/** The client of the signed-in session; pages are only shown signed in. */
export function api(): GraphQLClient {
  const current = session.value;
  if (current === undefined) throw new Error('not signed in');
  return current.client;
}
