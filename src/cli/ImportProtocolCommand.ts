/**
 * `lwm2m-hub import-protocol FILE`: imports the objects of a DDF file (LwM2M Core 1.1 Appendix D) as
 * device protocols into the configured event store, all or none of them. One line per object goes to
 * stdout; a refused file gets one line per problem, with its line and column, on stderr.
 *
 * Beside a running service (the embedded store is its process's) the document goes through the
 * service's `uploadDeviceProtocol` mutation instead, with the same report.
 *
 * Exit codes: 0 every object imported (or already there, identical); 1 the file was refused (not a
 * valid DDF, or a version already there with another definition), nothing was stored, or the import
 * could not run (event store or service unavailable); 2 the file cannot be read.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Config } from '../adapters/config/Config.ts';
import { readDdfFile } from '../adapters/ddf/DdfFileReader.ts';
import { LogFeed } from '../app/kernel/LogFeed.ts';
import { DeviceProtocolService } from '../app/protocols/DeviceProtocolService.ts';
import type { EventStore } from '../adapters/eventstore/EventStore.ts';
import { openEventStore } from '../adapters/eventstore/openEventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import type { Clock } from '../domain/Clock.ts';
import { systemClock } from '../domain/Clock.ts';
import { DomainError } from '../domain/DomainError.ts';
import type { DdfError } from '../domain/lwm2m/DdfError.ts';
import { exitCodes } from './ExitCodes.ts';
import { apiToken, callGraphQL, formatErrors, missingTokenMessage, runningServiceUrl, ServiceUnreachable } from './ServiceApi.ts';
import { terminalText } from './TerminalText.ts';

export interface ImportProtocolArgs {
  readonly file: string;
  readonly config: Config;
  readonly logger: Logger;
  /** Where the report goes; process.stdout by default. */
  readonly stdout?: Writable;
  /** Where problems go; process.stderr by default. */
  readonly stderr?: Writable;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

interface ImportedProtocol {
  readonly objectId: number;
  readonly name: string;
  readonly version: string;
  readonly created: boolean;
}

/** A problem as DdfError has it, or as the API answers it (absent positions null). */
type DdfProblem = Pick<DdfError, 'message'> & { readonly line?: number | null; readonly column?: number | null };

export async function runImportProtocol(args: ImportProtocolArgs): Promise<number> {
  const { file, config, logger } = args;
  const stdout = args.stdout ?? process.stdout;
  const stderr = args.stderr ?? process.stderr;
  const read = await readDdfFile(file);
  if (!read.ok && read.kind === 'unreadable') {
    stderr.write(`import-protocol: cannot read ${file}: ${read.message}\n`);
    return exitCodes.usage;
  }
  if (!read.ok) {
    stderr.write(formatRefusal(file, read.errors));
    return exitCodes.failed;
  }
  const serviceUrl = runningServiceUrl(config);
  if (serviceUrl !== undefined) return uploadThroughService(args, read.xml, serviceUrl, stdout, stderr);

  let store: EventStore | undefined;
  let feed: LogFeed | undefined;
  try {
    store = await openEventStore({ url: config.eventStoreUrl, dataDir: config.dataDir, logger });
    feed = new LogFeed({ store });
    const service = new DeviceProtocolService({ store, feed, clock: args.clock ?? systemClock, logger });
    const result = await service.importDdf(read.xml, { actor: 'system:cli', correlationId: randomUUID() });
    if (!result.ok) {
      stderr.write(formatRefusal(file, result.errors));
      return exitCodes.failed;
    }
    stdout.write(formatImported(result.protocols));
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof DomainError) {
      stderr.write(`import-protocol: ${file}: ${error.message}; nothing was imported\n`);
      return exitCodes.failed;
    }
    logger.debug({ err: error }, 'protocol import failed');
    stderr.write(`import-protocol: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodes.failed;
  } finally {
    await feed?.close();
    await store?.close();
  }
}

const uploadMutation = `mutation UploadProtocol($xml: String!) {
  uploadDeviceProtocol(xml: $xml) { protocols { objectId name version created } }
}`;

async function uploadThroughService(args: ImportProtocolArgs, xml: string, url: string, stdout: Writable, stderr: Writable): Promise<number> {
  const token = apiToken(args.config, args.env ?? process.env);
  if (token === undefined) {
    stderr.write(`import-protocol: the service runs on this data directory, and ${missingTokenMessage(args.config)}\n`);
    return exitCodes.failed;
  }
  args.logger.info({ file: args.file, url }, 'importing a device protocol through the running service');
  let answer;
  try {
    answer = await callGraphQL<{ uploadDeviceProtocol: { protocols: readonly ImportedProtocol[] } }>({ url, token }, uploadMutation, { xml });
  } catch (error) {
    if (!(error instanceof ServiceUnreachable)) throw error;
    stderr.write(`import-protocol: ${error.message}\n`);
    return exitCodes.failed;
  }
  const protocols = answer.data?.uploadDeviceProtocol.protocols;
  if (protocols !== undefined) {
    stdout.write(formatImported(protocols));
    return exitCodes.ok;
  }
  const ddfErrors = answer.errors?.[0]?.extensions?.['ddfErrors'] as readonly DdfProblem[] | undefined;
  if (ddfErrors !== undefined) stderr.write(formatRefusal(args.file, ddfErrors));
  else stderr.write(formatErrors('import-protocol', answer.errors ?? [{ message: 'the service answered without a result' }]));
  return exitCodes.failed;
}

function formatImported(protocols: readonly ImportedProtocol[]): string {
  return protocols
    .map((protocol) => `object ${protocol.objectId} (${terminalText(protocol.name)}) version ${protocol.version}: ${protocol.created ? 'imported' : 'already there, unchanged'}\n`)
    .join('');
}

export function formatRefusal(file: string, errors: readonly DdfProblem[]): string {
  const lines = [`import-protocol: ${file} is not a valid DDF; nothing was imported`];
  for (const error of errors) {
    const column = error.column === undefined || error.column === null ? '' : `, column ${error.column}`;
    const where = error.line === undefined || error.line === null ? '' : `line ${error.line}${column}: `;
    // Messages quote the file, whose text must not drive the terminal.
    lines.push(`${where}${terminalText(error.message)}`);
  }
  return lines.join('\n') + '\n';
}
