/**
 * `lwm2m-hub import-protocol FILE`: imports the objects of a DDF file (LwM2M Core 1.1 Appendix D) as
 * device protocols into the configured event store, all or none of them. One line per object goes to
 * stdout; a refused file gets one line per problem, with its line and column, on stderr.
 *
 * Exit codes: 0 every object imported (or already there, identical); 1 the file was refused (not a
 * valid DDF, or a version already there with another definition), nothing was stored; 2 the import
 * could not run (unreadable file, event store unavailable).
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Config } from '../adapters/config/Config.ts';
import { readDdfFile } from '../adapters/ddf/DdfFileReader.ts';
import { DeviceProtocolService } from '../adapters/ddf/DeviceProtocolService.ts';
import type { EventStore } from '../adapters/eventstore/EventStore.ts';
import { openEventStore } from '../adapters/eventstore/openEventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import type { Clock } from '../domain/Clock.ts';
import { systemClock } from '../domain/Clock.ts';
import { DomainError } from '../domain/DomainError.ts';
import type { DdfError } from '../domain/lwm2m/DdfError.ts';

export interface ImportProtocolArgs {
  readonly file: string;
  readonly config: Config;
  readonly logger: Logger;
  /** Where the report goes; process.stdout by default. */
  readonly stdout?: Writable;
  /** Where problems go; process.stderr by default. */
  readonly stderr?: Writable;
  readonly clock?: Clock;
}

export async function runImportProtocol(args: ImportProtocolArgs): Promise<number> {
  const { file, config, logger } = args;
  const stdout = args.stdout ?? process.stdout;
  const stderr = args.stderr ?? process.stderr;
  const read = await readDdfFile(file);
  if (!read.ok && read.kind === 'unreadable') {
    stderr.write(`import-protocol: cannot read ${file}: ${read.message}\n`);
    return 2;
  }
  if (!read.ok) {
    stderr.write(formatRefusal(file, read.errors));
    return 1;
  }

  let store: EventStore | undefined;
  try {
    store = await openEventStore({ url: config.eventStoreUrl, dataDir: config.dataDir, logger });
    const service = new DeviceProtocolService({ store, clock: args.clock ?? systemClock, logger });
    const result = await service.importDdf(read.xml, { actor: 'system:cli', correlationId: randomUUID() });
    if (!result.ok) {
      stderr.write(formatRefusal(file, result.errors));
      return 1;
    }
    for (const protocol of result.protocols) {
      stdout.write(
        `object ${protocol.objectId} (${protocol.name}) version ${protocol.version}: ${protocol.created ? 'imported' : 'already there, unchanged'}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      stderr.write(`import-protocol: ${file}: ${error.message}; nothing was imported\n`);
      return 1;
    }
    logger.debug({ err: error }, 'protocol import failed');
    stderr.write(`import-protocol: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    await store?.close();
  }
}

export function formatRefusal(file: string, errors: readonly DdfError[]): string {
  const lines = [`import-protocol: ${file} is not a valid DDF; nothing was imported`];
  for (const error of errors) {
    const where = error.line === undefined ? '' : `line ${error.line}${error.column === undefined ? '' : `, column ${error.column}`}: `;
    lines.push(`${where}${error.message}`);
  }
  return lines.join('\n') + '\n';
}
