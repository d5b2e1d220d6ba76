/**
 * `lwm2m-hub token create --role viewer|operator|admin [--description TEXT]`: adds an API token and
 * prints it once on stdout; only its sealed form is stored, so it cannot be shown again. The service
 * reads new tokens from the log when it meets an unknown one, so with EventStoreDB a running service
 * accepts the token at once; the embedded SQLite store belongs to one process, so run the command
 * while the service is stopped (the service accepts the token from its next start).
 */
import { resolve } from 'node:path';
import type { Config } from '../adapters/config/Config.ts';
import { ApiTokenRegistry } from '../adapters/auth/ApiTokenRegistry.ts';
import { loadMasterKey } from '../adapters/crypto/MasterKey.ts';
import { openEventStore } from '../adapters/eventstore/openEventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import { apiRoles, isApiRole } from '../domain/auth/ApiTokens.ts';

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
    return 2;
  }
  if (typeof input.role !== 'string' || !isApiRole(input.role)) {
    output.stderr.write(`lwm2m-hub token create: --role must be one of ${apiRoles.join(', ')}\n`);
    return 2;
  }
  const dataDir = resolve(config.dataDir);
  const { sealer } = loadMasterKey(dataDir, env);
  const store = await openEventStore({ url: config.eventStoreUrl, dataDir, logger });
  try {
    const registry = new ApiTokenRegistry(store, sealer);
    const created = await registry.create({
      role: input.role,
      actor: 'system:cli',
      description: typeof input.description === 'string' ? input.description : null,
    });
    logger.info({ tokenId: created.tokenId, role: created.role }, 'API token created; it is printed once on stdout');
    output.stdout.write(`${created.token}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
