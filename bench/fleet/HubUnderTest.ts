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

/** `observe: false` leaves the device protocols empty: the server then only registers devices. */
export async function startHubUnderTest(dataDir: string, observe = true): Promise<HubUnderTest> {
  const serve = await startServe(dataDir);
  const pid = serve.child.pid;
  if (pid === undefined) throw new Error('serve has no process id');
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  if (!observe) return { serve, token, pid };
  const protocol = await runCli(['import-protocol', temperatureDdf.pathname, '--data-dir', dataDir]);
  if (protocol.code !== 0) throw new Error(`import-protocol failed: ${protocol.stderr}`);
  // Auto-observe goes with another functionality (the device protocol rules): each value is also a measurement.
  for (const functionality of ['{ sendMeasurement: { type: "c8y_TemperatureMeasurement", series: "T", unit: "Cel" } }', '{ autoObserve: true }']) {
    const set = await postGraphQL(serve.graphqlUrl, token, `mutation { setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: ${functionality}) { version } }`);
    if (set.errors !== undefined) throw new Error(`functionality not set: ${JSON.stringify(set.errors)}`);
  }
  return { serve, token, pid };
}

/** Writes the fleet's CSV into the data directory's parent and imports it through the running service. */
export async function importFleet(dataDir: string, csv: RegistrationCsvOptions): Promise<void> {
  const file = `${dataDir}.fleet.csv`;
  writeFileSync(file, [...registrationCsvLines(csv)].join(''));
  const imported = await runCli(['import-devices', file, '--data-dir', dataDir]);
  if (imported.code !== 0) throw new Error(`import-devices failed: ${imported.stderr}`);
}
