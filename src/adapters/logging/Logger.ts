/**
 * Structured logs (pino, JSON lines on stderr so that stdout stays free for command output).
 * Secrets never reach a log: the redaction paths below are a second line of defence behind the rule
 * that secrets are sealed before anything else sees them.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, name = 'lwm2m-hub'): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['*.pskKey', '*.psk_key', '*.token', '*.masterKey', 'pskKey', 'token', 'masterKey', 'authorization', '*.authorization'],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
