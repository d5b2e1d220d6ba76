/**
 * Structured logs (pino, on stderr so that stdout stays free for command output): JSON lines for
 * machines by default, or human-readable lines through pino-pretty when a person reads them.
 * Secrets never reach a log: the redaction paths below are a second line of defence behind the rule
 * that secrets are sealed before anything else sees them.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger } from 'pino';

/** `auto` is pretty when the log's destination (stderr) is a terminal, JSON otherwise. */
export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

export interface LoggerOptions {
  readonly level: string;
  readonly format?: LogFormat;
  readonly name?: string;
  /** Where the lines go; stderr (fd 2) by default. */
  readonly destination?: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stderr;
  const format = options.format ?? 'json';
  const pretty = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  const stream: DestinationStream | NodeJS.WritableStream = pretty
    ? PinoPretty({ destination: options.destination ?? 2, sync: true, colorize: destination.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' })
    : options.destination ?? pino.destination(2);
  return pino(
    {
      name: options.name ?? 'lwm2m-hub',
      level: options.level,
      redact: {
        paths: ['*.pskKey', '*.psk_key', '*.token', '*.masterKey', 'pskKey', 'token', 'masterKey', 'authorization', '*.authorization'],
        censor: '[redacted]',
      },
    },
    stream,
  );
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
