/**
 * lwm2m-hub as the fleet meets it in a benchmark or a test: `lwm2m-hub serve` in its own process on a
 * fresh data directory and ephemeral ports, the IPSO Temperature protocol imported with Auto-observe on
 * /3303/0/5700 (so the server observes each device as it registers, as an operator would configure
 * it, with each value also sent as a measurement), and the fleet's registration CSV imported through the running service, as an operator does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startServe } from '../../test/e2e/CliProcess.ts';
import type { ServeProcess } from '../../test/e2e/CliProcess.ts';
import { postGraphQL } from '../../test/e2e/GraphQLTestClient.ts';
import { registrationCsvLines } from './RegistrationCsv.ts';
import type { RegistrationCsvOptions } from './RegistrationCsv.ts';

export interface HubUnderTest {
  readonly serve: ServeProcess;
  /** The admin token the first start wrote (`<dataDir>/admin.token`). */
  readonly token: string;
  readonly pid: number;
}

const temperatureDdf = new URL('../../test/fixtures/ddf/3303.xml', import.meta.url);

/**
 * `observe: false` leaves the device protocols empty: the server then only registers devices. `env` is
 * added to the server's environment (NODE_OPTIONS=--cpu-prof to profile it).
 */
export async function startHubUnderTest(dataDir: string, observe = true, env: NodeJS.ProcessEnv = {}): Promise<HubUnderTest> {
  const serve = await startServe(dataDir, env);
  const pid = serve.child.pid;
  if (pid === undefined) throw new Error('serve has no process id');
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  if (observe) await configureTemperatureProtocol(dataDir, serve.graphqlUrl, token);
  return { serve, token, pid };
}

/**
 * Imports the IPSO Temperature protocol into the service running on `dataDir` (GraphQL at
 * `graphqlUrl`) with Send measurement and Auto-observe on /3303/0/5700: the server then observes
 * each device as it registers, and each value is also a measurement. `cliEnv` is the command line's
 * environment, as for importFleet.
 */
export async function configureTemperatureProtocol(dataDir: string, graphqlUrl: string, token: string, cliEnv: NodeJS.ProcessEnv = {}): Promise<void> {
  const protocol = await runCli(['import-protocol', temperatureDdf.pathname, '--data-dir', dataDir], cliEnv);
  if (protocol.code !== 0) throw new Error(`import-protocol failed: ${protocol.stderr}`);
  // Auto-observe goes with another functionality (the device protocol rules): each value is also a measurement.
  for (const functionality of ['{ sendMeasurement: { type: "c8y_TemperatureMeasurement", series: "T", unit: "Cel" } }', '{ autoObserve: true }']) {
    const set = await postGraphQL(graphqlUrl, token, `mutation { setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: ${functionality}) { version } }`);
    if (set.errors !== undefined) throw new Error(`functionality not set: ${JSON.stringify(set.errors)}`);
  }
}

/**
 * Writes the fleet's CSV into the data directory's parent and imports it through the running service.
 * `cliEnv` is the command line's environment: EVENTSTORE_URL for a service whose store is not the
 * data directory's SQLite file (the command line then finds it by its service file alone).
 */
export async function importFleet(dataDir: string, csv: RegistrationCsvOptions, cliEnv: NodeJS.ProcessEnv = {}): Promise<void> {
  const file = `${dataDir}.fleet.csv`;
  writeFileSync(file, [...registrationCsvLines(csv)].join(''));
  const imported = await runCli(['import-devices', file, '--data-dir', dataDir], cliEnv);
  if (imported.code !== 0) throw new Error(`import-devices failed: ${imported.stderr}`);
}
