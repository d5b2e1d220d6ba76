/**
 * The console's only way to the service: queries and mutations over HTTP POST to /graphql, and
 * subscriptions over graphql-ws (graphql-transport-ws) on the same path, both with the signed-in
 * token. A document carries the types of its result and variables, so callers get typed data.
 */
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import type { Document } from './Document.ts';


export interface ApiErrorDetail {
  readonly message: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** What the service refused, with its `extensions.code` and details (row errors, DDF errors, rule groups...). */
export class ApiError extends Error {
  readonly code: string;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly status: number;

  constructor(detail: ApiErrorDetail, status: number) {
    super(detail.message);
    this.name = 'ApiError';
    this.extensions = detail.extensions ?? {};
    this.code = typeof this.extensions['code'] === 'string' ? this.extensions['code'] : status === 401 ? 'UNAUTHENTICATED' : 'ERROR';
    this.status = status;
  }
}

export const graphqlPath = '/graphql';

/** The live connection (the subscriptions' WebSocket): opened on the first subscription, reopened when lost. */
export type LiveState = 'idle' | 'connecting' | 'live' | 'reconnecting';

export interface GraphQLClientEvents {
  /** The service no longer accepts the token (revoked): the session ends. */
  readonly onUnauthenticated?: () => void;
  readonly onLiveState?: (state: LiveState) => void;
}

export class GraphQLClient {
  readonly #token: string;
  readonly #events: GraphQLClientEvents;
  #socket: Client | undefined;

  constructor(token: string, events: GraphQLClientEvents = {}) {
    this.#token = token;
    this.#events = events;
  }

  async request<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    const response = await fetch(graphqlPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
      body: JSON.stringify({ query: document.source, variables }),
    });
    if (response.status === 401) this.#events.onUnauthenticated?.();
    return parseResponse<TResult>(response.status, await response.text());
  }

  /**
   * A mutation with a large body (a CSV file), reporting the upload's progress: fetch cannot tell how
   * much of a request body has been sent, XMLHttpRequest's upload events can.
   */
  requestWithProgress<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables, onProgress: (sent: number, total: number) => void): Promise<TResult> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', graphqlPath);
      xhr.setRequestHeader('content-type', 'application/json');
      xhr.setRequestHeader('authorization', `Bearer ${this.#token}`);
      xhr.upload.onprogress = (event) => onProgress(event.loaded, event.total);
      xhr.onload = () => {
        if (xhr.status === 401) this.#events.onUnauthenticated?.();
        try {
          resolve(parseResponse<TResult>(xhr.status, xhr.responseText));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      xhr.onerror = () => reject(new Error('the service cannot be reached'));
      xhr.send(JSON.stringify({ query: document.source, variables }));
    });
  }

  /** Starts a subscription; returns what stops it. Errors go to onError (the socket reconnects by itself). */
  subscribe<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables, onNext: (data: TResult) => void, onError?: (error: Error) => void): () => void {
    return this.#client().subscribe<TResult>(
      { query: document.source, variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors && result.errors.length > 0) onError?.(new ApiError(result.errors[0] as ApiErrorDetail, 200));
          else if (result.data) onNext(result.data);
        },
        error: (error: unknown) => onError?.(error instanceof Error ? error : new Error(Array.isArray(error) ? String((error[0] as ApiErrorDetail | undefined)?.message) : 'the live connection failed')),
        complete: () => undefined,
      },
    );
  }

  close(): void {
    void this.#socket?.dispose();
    this.#socket = undefined;
  }

  #client(): Client {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.#socket ??= createClient({
      url: `${scheme}://${location.host}${graphqlPath}`,
      connectionParams: { authorization: `Bearer ${this.#token}` },
      lazy: true,
      retryAttempts: Number.POSITIVE_INFINITY,
      // Exponential back-off with jitter, at most 10 s between attempts.
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2))),
      shouldRetry: (event) => {
        const refused = event instanceof CloseEvent && event.code === 4401;
        if (refused) this.#events.onUnauthenticated?.();
        return !refused;
      },
      on: {
        connecting: (isRetry) => this.#events.onLiveState?.(isRetry ? 'reconnecting' : 'connecting'),
        connected: () => this.#events.onLiveState?.('live'),
        closed: () => this.#events.onLiveState?.(this.#socket === undefined ? 'idle' : 'reconnecting'),
      },
    });
    return this.#socket;
  }
}

function parseResponse<TResult>(status: number, text: string): TResult {
  let body: { data?: TResult | null; errors?: readonly ApiErrorDetail[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ApiError({ message: status === 401 ? 'the token is not valid' : `the service answered ${status}: ${text.slice(0, 200)}` }, status);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first, status);
  if (body.data === undefined || body.data === null) throw new ApiError({ message: 'the service answered without data' }, status);
  return body.data;
}
