/**
 * A GraphQL subscriber of lwm2m-hub's `resourceValues` (graphql-ws protocol, one subscription per
 * device) that hands each notified sensor value to the fleet, which turns it back into the
 * notification's send time. Specific to lwm2m-hub's schema; the rest of the simulator is not.
 * The service allows a bounded number of operations per WebSocket connection, so the subscriptions
 * are spread over connections of SUBSCRIPTIONS_PER_CONNECTION each.
 */
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { SENSOR_VALUE_PATH } from './SimulatedObjects.ts';

const SUBSCRIPTIONS_PER_CONNECTION = 50;
const subscription = `subscription Values($endpoint: String!, $path: String) { resourceValues(endpoint: $endpoint, path: $path) { text source } }`;

interface ValuesPayload {
  readonly data?: { readonly resourceValues?: ReadonlyArray<{ readonly text: string; readonly source: string }> } | null;
}

export class ResourceValueSubscriber {
  readonly #clients: Client[] = [];
  readonly #unsubscribes: Array<() => void> = [];
  #errors = 0;
  #firstError: string | undefined;

  /** Subscribes for every endpoint, then waits for a query's answer on each socket, so the subscriptions are set up before it resolves. */
  static async start(url: string, token: string, endpoints: readonly string[], received: (value: number) => void): Promise<ResourceValueSubscriber> {
    const subscriber = new ResourceValueSubscriber();
    for (let start = 0; start < endpoints.length; start += SUBSCRIPTIONS_PER_CONNECTION) {
      await subscriber.#connect(url, token, endpoints.slice(start, start + SUBSCRIPTIONS_PER_CONNECTION), received);
    }
    return subscriber;
  }

  get errors(): { readonly count: number; readonly first: string | undefined } {
    return { count: this.#errors, first: this.#firstError };
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    for (const client of this.#clients) await client.dispose();
  }

  async #connect(url: string, token: string, endpoints: readonly string[], received: (value: number) => void): Promise<void> {
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    this.#clients.push(client);
    for (const endpoint of endpoints) {
      this.#unsubscribes.push(
        client.subscribe<ValuesPayload['data']>(
          { query: subscription, variables: { endpoint, path: SENSOR_VALUE_PATH } },
          {
            next: (result) => {
              for (const value of result.data?.resourceValues ?? []) if (value.source === 'notification') received(Number(value.text));
            },
            error: (error: unknown) => this.#failed(error),
            complete: () => undefined,
          },
        ),
      );
    }
    await new Promise<void>((resolve, reject) => {
      client.subscribe({ query: '{ __typename }' }, { next: () => undefined, error: (error: unknown) => reject(new Error(`GraphQL: ${describe(error)}`)), complete: resolve });
    });
  }

  #failed(error: unknown): void {
    this.#errors++;
    this.#firstError ??= describe(error);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((item: { message?: string }) => item.message ?? JSON.stringify(item)).join('; ');
  if (typeof error === 'object' && error !== null && 'code' in error && 'reason' in error) return `WebSocket closed ${String(error.code)} ${String(error.reason)}`;
  return JSON.stringify(error);
}
