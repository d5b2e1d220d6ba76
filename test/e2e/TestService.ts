/**
 * Starts the real service (as `lwm2m-hub serve` runs it) for an e2e test: its data in `dir`, every
 * listener on 127.0.0.1 at an ephemeral port, since other tests run at the same time.
 */
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { startService, type RunningService } from '../../src/main.ts';

export function startTestService(dir: string, extraArguments: readonly string[] = []): Promise<RunningService> {
  const { config } = parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-host', '127.0.0.1', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0', ...extraArguments],
    {},
  );
  return startService(config, {}, silentLogger());
}
