/**
 * `lwm2m-hub token create --role viewer|operator|admin [--description TEXT]`: adds an API token and
 * prints it once on stdout; only its sealed form is stored, so it cannot be shown again. Beside a
 * running service (the embedded store is its process's) the service creates it, through the
 * `createApiToken` mutation with the admin token; otherwise the command appends it to the store, and
 * the service accepts it from its next start (with EventStoreDB, at once: it reads new tokens from
 * the log when it meets an unknown one).
 */
import { resolve } from 'node:path';
import type { Config } from '../adapters/config/Config.ts';
import { ApiTokenRegistry } from '../app/auth/ApiTokenRegistry.ts';
import { loadMasterKey } from '../adapters/crypto/MasterKey.ts';
import { openEventStore } from '../adapters/eventstore/openEventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import { apiRoles, isApiRole } from '../domain/auth/ApiTokens.ts';
import type { ApiRole } from '../domain/auth/ApiTokens.ts';
import { exitCodes } from './ExitCodes.ts';
import { apiToken, callGraphQL, formatErrors, missingTokenMessage, runningServiceUrl, ServiceUnreachable } from './ServiceApi.ts';

export interface TokenCommandInput {
  readonly positionals: readonly string[];
  readonly role: string | boolean | undefined;
  readonly description: string | boolean | undefined;
}

export async function runToken(
  config: Config,
  input: TokenCommandInput,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  output: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const [action] = input.positionals;
  if (action !== 'create') {
    output.stderr.write(`lwm2m-hub token: unknown action "${action ?? ''}"; usage: lwm2m-hub token create --role ${apiRoles.join('|')}\n`);
    return exitCodes.usage;
  }
  if (typeof input.role !== 'string' || !isApiRole(input.role)) {
    output.stderr.write(`lwm2m-hub token create: --role must be one of ${apiRoles.join(', ')}\n`);
    return exitCodes.usage;
  }
  const description = typeof input.description === 'string' ? input.description : null;
  const serviceUrl = runningServiceUrl(config);
  if (serviceUrl !== undefined) return createThroughService(config, serviceUrl, input.role, description, env, output);
  const dataDir = resolve(config.dataDir);
  const { sealer } = loadMasterKey(dataDir, env);
  const store = await openEventStore({ url: config.eventStoreUrl, dataDir, logger });
  try {
    const registry = new ApiTokenRegistry(store, sealer);
    const created = await registry.create({
      role: input.role,
      actor: 'system:cli',
      description,
    });
    logger.info({ tokenId: created.tokenId, role: created.role }, 'API token created; it is printed once on stdout');
    output.stdout.write(`${created.token}\n`);
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}

const createMutation = `mutation CreateApiToken($role: ApiRole!, $description: String) {
  createApiToken(role: $role, description: $description) { tokenId role token }
}`;

async function createThroughService(
  config: Config,
  url: string,
  role: ApiRole,
  description: string | null,
  env: NodeJS.ProcessEnv,
  output: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const token = apiToken(config, env);
  if (token === undefined) {
    output.stderr.write(`lwm2m-hub token create: the service runs on this data directory, and ${missingTokenMessage(config)}\n`);
    return exitCodes.failed;
  }
  try {
    const answer = await callGraphQL<{ createApiToken: { token: string } }>({ url, token }, createMutation, { role: role.toUpperCase(), description });
    const created = answer.data?.createApiToken;
    if (created === undefined) {
      output.stderr.write(formatErrors('token create', answer.errors ?? [{ message: 'the service answered without a result' }]));
      return exitCodes.failed;
    }
    output.stdout.write(`${created.token}\n`);
    return exitCodes.ok;
  } catch (error) {
    if (!(error instanceof ServiceUnreachable)) throw error;
    output.stderr.write(`lwm2m-hub token create: ${error.message}\n`);
    return exitCodes.failed;
  }
}
