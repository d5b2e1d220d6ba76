/**
 * The running service's GraphQL API, for commands that go through it: the embedded store belongs to
 * the service's process, so beside a running service `import-devices`, `import-protocol` and `token
 * create` ask the service to do the work, and `shell` always does. The service is found through
 * `<dataDir>/service.json` (RunningServiceFile.ts); the token is LWM2M_HUB_TOKEN, else the admin token
 * the service's first start wrote to `<dataDir>/admin.token`.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../adapters/config/Config.ts';
import { findRunningService } from '../adapters/runtime/RunningServiceFile.ts';

export interface ServiceApi {
  readonly url: string;
  readonly token: string;
}

export interface GraphQLErrorAnswer {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly [name: string]: unknown };
}

export interface GraphQLAnswer<T> {
  readonly data?: T | null;
  readonly errors?: readonly GraphQLErrorAnswer[];
}

/** The service could not be reached, or answered with something other than GraphQL. */
export class ServiceUnreachable extends Error {
  constructor(url: string, reason: string) {
    super(`cannot reach the service at ${url}: ${reason}`);
    this.name = 'ServiceUnreachable';
  }
}

/** The GraphQL URL of the service running on the configured data directory, if one runs. */
export function runningServiceUrl(config: Config): string | undefined {
  return findRunningService(resolve(config.dataDir), config.eventStoreUrl === '')?.graphqlUrl;
}

export function apiToken(config: Config, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env['LWM2M_HUB_TOKEN'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  try {
    const fromFile = readFileSync(adminTokenFile(config), 'utf8').trim();
    return fromFile === '' ? undefined : fromFile;
  } catch {
    return undefined;
  }
}

export function adminTokenFile(config: Config): string {
  return join(resolve(config.dataDir), 'admin.token');
}

export function missingTokenMessage(config: Config): string {
  return `no API token: set LWM2M_HUB_TOKEN or start the service once to write ${adminTokenFile(config)}`;
}

export async function callGraphQL<T>(api: ServiceApi, query: string, variables: Record<string, unknown>): Promise<GraphQLAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ServiceUnreachable(api.url, error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error));
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as GraphQLAnswer<T>;
  } catch {
    throw new ServiceUnreachable(api.url, `HTTP ${response.status}, not a GraphQL answer: ${text.slice(0, 200)}`);
  }
}

/** One line per error: `CODE: message`. */
export function formatErrors(command: string, errors: readonly GraphQLErrorAnswer[]): string {
  return errors.map((error) => `lwm2m-hub ${command}: ${error.extensions?.code ?? 'ERROR'}: ${error.message}\n`).join('');
}
