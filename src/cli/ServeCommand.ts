/**
 * `lwm2m-hub serve`: runs the service until SIGINT or SIGTERM, then closes everything in order.
 *
 * The first signal starts one orderly stop (main.ts closes the parts last opened first and logs each);
 * a second signal while it runs exits at once with 128 + the signal's number, the shell's convention
 * for a process ended by a signal, so an operator can always get out.
 */
import { constants } from 'node:os';
import type { Config } from '../adapters/config/Config.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import { startService } from '../main.ts';

const terminationSignals = ['SIGINT', 'SIGTERM'] as const;
type TerminationSignal = (typeof terminationSignals)[number];

/** The part of `process` the stop needs: signals in, exit out. */
export interface SignalledProcess {
  on(event: TerminationSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Resolves on the first termination signal; any later one logs and exits at once, non-zero. */
export function firstTerminationSignal(target: SignalledProcess, logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolveFirst) => {
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first === undefined) {
        first = signal;
        resolveFirst(signal);
        return;
      }
      const code = 128 + constants.signals[signal];
      logger.error({ signal, exitCode: code }, 'a second signal during the stop: exiting without finishing it');
      target.exit(code);
    };
    for (const signal of terminationSignals) target.on(signal, onSignal);
  });
}

export async function runServe(config: Config, logger: Logger): Promise<number> {
  const stopRequested = firstTerminationSignal(process, logger);
  const service = await startService(config, process.env, logger);
  const signal = await stopRequested;
  logger.info({ signal }, 'stopping');
  const started = performance.now();
  await service.close();
  logger.info({ ms: Math.round(performance.now() - started) }, 'stopped');
  return 0;
}
