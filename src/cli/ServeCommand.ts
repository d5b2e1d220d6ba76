/** `lwm2m-hub serve`: runs the service until SIGINT or SIGTERM, then closes everything in order. */
import type { Config } from '../adapters/config/Config.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import { startService } from '../main.ts';

export async function runServe(config: Config, logger: Logger): Promise<number> {
  const service = await startService(config, process.env, logger);
  await new Promise<void>((resolveStop) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      resolveStop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await service.close();
  logger.info('stopped');
  return 0;
}
