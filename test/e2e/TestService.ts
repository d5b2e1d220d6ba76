/**
 * Starts the real service (as `lwm2m-hub serve` runs it) for an e2e test: its data in `dir`, every
 * listener on 127.0.0.1 at an ephemeral port, since other tests run at the same time.
 */
import { randomUUID } from 'node:crypto';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { DeviceImportService } from '../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../src/adapters/csv/DeviceCsvReader.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { startService, type RunningService, type ServiceOptions } from '../../src/main.ts';

/**
 * `env` is the service's environment (LWM2M_HUB_MASTER_KEY: one master key for several nodes);
 * `options.store` an event store shared by several nodes started in the test.
 */
export function startTestService(dir: string, extraArguments: readonly string[] = [], env: NodeJS.ProcessEnv = {}, options: ServiceOptions = {}): Promise<RunningService> {
  const { config } = parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-host', '127.0.0.1', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0', ...extraArguments],
    env,
  );
  return startService(config, env, silentLogger(), options);
}

/** Imports registration CSV text into the running service through the CSV import, as `import-devices` does; throws on any row error. */
export async function importTestDevices(service: RunningService, csvText: string): Promise<void> {
  const importer = new DeviceImportService({ readCsv: readDeviceCsv, store: service.store, sealer: service.sealer, logger: silentLogger() });
  const report = await importer.importDevices(csvText, { actor: 'test', correlationId: randomUUID() });
  if (report.errors.length > 0) throw new Error(`the test devices were refused: ${JSON.stringify(report.errors)}`);
}
