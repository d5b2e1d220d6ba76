/** Small helpers for driving the GraphQL API over real HTTP (fetch) and WebSocket (graphql-ws + ws). */
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly raw: string;
  readonly data: Record<string, unknown> | null | undefined;
  readonly errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> | undefined;
}

/** `signal` aborts the request (e.g. `AbortSignal.timeout(ms)` for an answer expected in time). */
export async function postGraphQL(url: string, token: string | undefined, query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<GraphQLResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal });
  const raw = await response.text();
  const body = JSON.parse(raw) as Pick<GraphQLResponse, 'data' | 'errors'>;
  return { status: response.status, headers: response.headers, raw, data: body.data, errors: body.errors };
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export function wsClient(httpUrl: string, token: string): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
  });
}

/** Runs one query or mutation over the WebSocket and returns its single result. */
export function wsQuery(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: unknown; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }> {
  return new Promise((resolve, reject) => {
    let result: { data?: unknown; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> } | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (value) => (result = value as typeof result),
        error: (error: unknown) => {
          // An operation rejected before execution (validation) arrives as an error message: an array of errors.
          if (Array.isArray(error)) resolve({ errors: error as NonNullable<typeof result>['errors'] });
          else reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => resolve(result ?? {}),
      },
    );
  });
}

/** Collects a subscription's results; `next()` waits for the next one with a deadline. */
export function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const items: unknown[] = [];
  const waiters: Array<() => void> = [];
  let failure: unknown;
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        items.push(value);
        waiters.splice(0).forEach((wake) => wake());
      },
      error: (error) => {
        failure = error;
        waiters.splice(0).forEach((wake) => wake());
      },
      complete: () => undefined,
    },
  );
  let read = 0;
  return {
    dispose,
    async next(timeoutMs = 2000): Promise<unknown> {
      const deadline = Date.now() + timeoutMs;
      while (items.length <= read) {
        if (failure !== undefined) throw new Error(`subscription failed: ${JSON.stringify(failure)}`);
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`no subscription result within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return items[read++];
    },
  };
}

/** Opens a raw graphql-transport-ws socket, sends connection_init with `payload`, and resolves with the close code. */
export function closeCodeAfterInit(httpUrl: string, payload: Record<string, unknown> | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload })));
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { type: string };
      if (message.type === 'connection_ack') {
        socket.close();
        reject(new Error('the server acknowledged the connection'));
      }
    });
    socket.on('close', (code) => resolve(code));
    socket.on('error', reject);
  });
}
