/**
 * `lwm2m-hub replay`: rebuilds every read model from the event log into a replacement file, logging
 * progress, and swaps it in when done (ReadModelDatabase.ts); a replay that fails leaves the read
 * models as they were. Beside a running service it asks the service to rebuild instead (the
 * `rebuildReadModels` mutation), which keeps answering meanwhile: the read-model file is the service's
 * while it runs, and only its own connection may swap it (a rename under another process's open
 * connection would pair the new file with that connection's write-ahead log).
 */
import { resolve } from 'node:path';
import type { Config } from '../adapters/config/Config.ts';
import { openEventStore } from '../adapters/eventstore/openEventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import { LogFeed } from '../app/kernel/LogFeed.ts';
import type { RebuildResult } from '../projections/Projector.ts';
import { Projector } from '../projections/Projector.ts';
import { ReadModelDatabase } from '../projections/ReadModelDatabase.ts';
import { readModelProjections } from '../projections/ReadModels.ts';
import { exitCodes } from './ExitCodes.ts';
import { apiToken, callGraphQL, formatErrors, missingTokenMessage, runningServiceUrl, ServiceUnreachable } from './ServiceApi.ts';

export async function runReplay(
  config: Config,
  logger: Logger,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const serviceUrl = runningServiceUrl(config);
  if (serviceUrl !== undefined) return replayThroughService(config, serviceUrl, logger, stdout, stderr, env);
  const dataDir = resolve(config.dataDir);
  const store = await openEventStore({ url: config.eventStoreUrl, dataDir, logger });
  const database = ReadModelDatabase.open(dataDir);
  const feed = new LogFeed({ store });
  const projector = new Projector({ store, feed, database, projections: readModelProjections, logger, progressIntervalMs: 1000 });
  try {
    const result = await projector.rebuild();
    stdout.write(rebuiltLine(database.path, result));
    return exitCodes.ok;
  } finally {
    await projector.close();
    await feed.close();
    database.close();
    await store.close();
  }
}

function rebuiltLine(where: string, result: RebuildResult): string {
  return `rebuilt ${readModelProjections.length} read models in ${where}: ${result.events} events up to position ${result.position} in ${result.durationMs} ms\n`;
}

const rebuildMutation = 'mutation Rebuild { rebuildReadModels { events position durationMs } }';

async function replayThroughService(
  config: Config,
  url: string,
  logger: Logger,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const token = apiToken(config, env);
  if (token === undefined) {
    stderr.write(`replay: the service runs on this data directory, and ${missingTokenMessage(config)}\n`);
    return exitCodes.failed;
  }
  logger.info({ url }, 'rebuilding the read models of the running service');
  try {
    const answer = await callGraphQL<{ readonly rebuildReadModels: RebuildResult }>({ url, token }, rebuildMutation, {});
    const result = answer.data?.rebuildReadModels;
    if (result) {
      stdout.write(rebuiltLine(`the running service at ${url}`, result));
      return exitCodes.ok;
    }
    stderr.write(formatErrors('replay', answer.errors ?? [{ message: 'the service answered without a result' }]));
    return exitCodes.failed;
  } catch (error) {
    if (!(error instanceof ServiceUnreachable)) throw error;
    stderr.write(`replay: ${error.message}\n`);
    return exitCodes.failed;
  }
}
