/**
 * `lwm2m-hub import-devices FILE [--valid-only]`: imports a registration CSV into the configured event
 * store. The report (counts, then one line per problem) goes to stdout; progress goes to stderr, as a
 * bar redrawn in place when stderr is a terminal, as log lines otherwise.
 *
 * Beside a running service (the embedded store is its process's) the file goes through the service's
 * `importDeviceRegistrations` mutation instead, with the same report but no progress bar.
 *
 * Exit codes: 0 every row imported (or unchanged); 1 some rows were rejected (with --valid-only the
 * valid ones were imported, without it nothing was), or the import could not run (wrong master key,
 * event store or service unavailable); 2 the file cannot be read.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Config } from '../adapters/config/Config.ts';
import { loadMasterKey } from '../adapters/crypto/MasterKey.ts';
import type { DeviceImportProgress, DeviceImportReport } from '../app/devices/DeviceImportService.ts';
import { DeviceImportService } from '../app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../adapters/csv/DeviceCsvReader.ts';
import type { EventStore } from '../adapters/eventstore/EventStore.ts';
import { openEventStore } from '../adapters/eventstore/openEventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import { terminalText } from './TerminalText.ts';
import type { DeviceCsvProblem } from '../domain/devices/DeviceCsvProblem.ts';
import { exitCodes } from './ExitCodes.ts';
import { apiToken, callGraphQL, formatErrors, missingTokenMessage, runningServiceUrl, ServiceUnreachable } from './ServiceApi.ts';

export interface ImportDevicesArgs {
  readonly file: string;
  readonly config: Config;
  readonly validOnly: boolean;
  readonly logger: Logger;
  /** Where the report goes; process.stdout by default. */
  readonly stdout?: Writable;
  /** Where progress goes; process.stderr by default. A bar is drawn only if it is a TTY. */
  readonly stderr?: Writable & { readonly isTTY?: boolean };
  readonly env?: NodeJS.ProcessEnv;
}

const BAR_WIDTH = 30;
/** Rows between two redraws of the bar, and between two progress log lines. */
const BAR_EVERY = 1000;
const LOG_EVERY = 10_000;

export async function runImportDevices(args: ImportDevicesArgs): Promise<number> {
  const { file, config, validOnly, logger } = args;
  const stdout = args.stdout ?? process.stdout;
  const stderr = args.stderr ?? process.stderr;
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    stderr.write(`import-devices: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodes.usage;
  }
  const serviceUrl = runningServiceUrl(config);
  if (serviceUrl !== undefined) return importThroughService(args, serviceUrl, stdout, stderr);

  let store: EventStore | undefined;
  try {
    const { sealer } = loadMasterKey(config.dataDir, args.env ?? process.env);
    store = await openEventStore({ url: config.eventStoreUrl, dataDir: config.dataDir, logger });
    const service = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger });
    const tty = stderr.isTTY === true;
    const correlationId = randomUUID();
    logger.info({ file, correlationId, mode: validOnly ? 'valid-rows-only' : 'all-or-nothing' }, 'importing devices');
    const started = performance.now();
    const report = await service.importDevices(createReadStream(file), {
      mode: validOnly ? 'valid-rows-only' : 'all-or-nothing',
      actor: 'system:cli',
      correlationId,
      progressEvery: tty ? BAR_EVERY : LOG_EVERY,
      onProgress: tty
        ? (progress) => stderr.write(`\r${progressBar(progress)}\u001b[K`)
        : (progress) => logger.info({ ...progress }, 'device import progress'),
    });
    if (tty) stderr.write('\n');
    const seconds = (performance.now() - started) / 1000;
    stdout.write(formatReport(report, seconds));
    return report.errors.length === 0 ? exitCodes.ok : exitCodes.failed;
  } catch (error) {
    logger.debug({ err: error }, 'device import failed');
    stderr.write(`import-devices: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodes.failed;
  } finally {
    await store?.close();
  }
}

const importMutation = `mutation ImportDevices($csv: String!, $mode: ImportMode) {
  importDeviceRegistrations(csv: $csv, options: { mode: $mode }) { imported updated unchanged errors { line column columnNumber message } }
}`;

interface ImportAnswer {
  readonly importDeviceRegistrations: Omit<DeviceImportReport, 'importId' | 'mode' | 'position'>;
}

async function importThroughService(args: ImportDevicesArgs, url: string, stdout: Writable, stderr: Writable): Promise<number> {
  const token = apiToken(args.config, args.env ?? process.env);
  if (token === undefined) {
    stderr.write(`import-devices: the service runs on this data directory, and ${missingTokenMessage(args.config)}\n`);
    return exitCodes.failed;
  }
  const mode = args.validOnly ? 'valid-rows-only' : 'all-or-nothing';
  args.logger.info({ file: args.file, url, mode }, 'importing devices through the running service');
  const started = performance.now();
  try {
    const csv = await readFile(args.file, 'utf8');
    const answer = await callGraphQL<ImportAnswer>({ url, token }, importMutation, { csv, mode: args.validOnly ? 'VALID_ROWS_ONLY' : 'ALL_OR_NOTHING' });
    const seconds = (performance.now() - started) / 1000;
    const result = answer.data?.importDeviceRegistrations;
    const rowErrors = answer.errors?.[0]?.extensions?.['rowErrors'] as readonly DeviceCsvProblem[] | undefined;
    if (result) {
      stdout.write(formatReport({ importId: null, mode, ...result }, seconds));
      return result.errors.length === 0 ? exitCodes.ok : exitCodes.failed;
    }
    if (rowErrors !== undefined) {
      stdout.write(formatReport({ importId: null, mode, imported: 0, updated: 0, unchanged: 0, errors: rowErrors }, seconds));
      return exitCodes.failed;
    }
    stderr.write(formatErrors('import-devices', answer.errors ?? [{ message: 'the service answered without a result' }]));
    return exitCodes.failed;
  } catch (error) {
    if (!(error instanceof ServiceUnreachable)) throw error;
    stderr.write(`import-devices: ${error.message}\n`);
    return exitCodes.failed;
  }
}

export function progressBar(progress: DeviceImportProgress): string {
  if (progress.phase === 'reading' || progress.total === null) return `reading and validating: ${progress.rows.toLocaleString('en')} rows`;
  const fraction = progress.total === 0 ? 1 : progress.rows / progress.total;
  const filled = Math.round(fraction * BAR_WIDTH);
  const percent = Math.floor(fraction * 100);
  return `importing [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}% ${progress.rows.toLocaleString('en')}/${progress.total.toLocaleString('en')} rows`;
}

/** `importId` null: the running service imported the file (its events carry the id). */
export function formatReport(report: Omit<DeviceImportReport, 'importId' | 'position'> & { readonly importId: string | null }, seconds: number): string {
  const lines = [
    `import ${report.importId ?? 'through the running service'} (${report.mode}): ${report.imported} imported, ${report.updated} updated, ${report.unchanged} unchanged, ${report.errors.length} problem${report.errors.length === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`,
  ];
  if (report.errors.length > 0 && report.mode === 'all-or-nothing') lines.push('nothing was imported: fix these rows, or import the valid rows only with --valid-only');
  for (const error of report.errors) {
    const column = error.column === null ? (error.columnNumber === null ? '' : `, column ${error.columnNumber}`) : `, column ${error.columnNumber ?? '-'} (${error.column})`;
    // Headers and cells quoted in a problem come from the file: never let them drive the terminal.
    lines.push(terminalText(`line ${error.line}${column}: ${error.message}`));
  }
  return lines.join('\n') + '\n';
}
