/**
 * The registration CSV of a simulated fleet, in the format of the LwM2M agent guide's examples
 * (examples/devices-nosec.csv, examples/devices-psk.csv): one row per endpoint `<prefix><n>`, NO_SEC or
 * PSK with the keys FleetCredentials derives, so that a server can import the fleet the simulator
 * then plays.
 */
import { deviceCsvColumns } from '../../src/domain/devices/DeviceCsvColumns.ts';
import type { DeviceCsvField } from '../../src/domain/devices/DeviceCsvColumns.ts';
import { bootstrapPsk, endpointName, lwm2mPsk } from './FleetCredentials.ts';

export interface RegistrationCsvOptions {
  readonly devices: number;
  readonly prefix: string;
  /** The server the rows name (`lwm2m server uri`): coap://... for NO_SEC, coaps://... for PSK. */
  readonly serverUri: string;
  readonly security: 'NO_SEC' | 'PSK';
  readonly seed: string;
  readonly lifetime: number;
  readonly binding: 'U' | 'UQ';
}

/** The columns written, as the service's own column table names them (a renamed field fails to compile here). */
const fields: readonly DeviceCsvField[] = ['externalId', 'idType', 'name', 'type', 'shellEnabled', 'agent', 'endpoint', 'serverUri', 'securityMode', 'lwm2mPskId', 'lwm2mPskKey', 'bootstrapPskId', 'bootstrapPskKey', 'registrationLifetime', 'bindingMode'];
const header = fields.map((field) => deviceCsvColumns.find((column) => column.field === field)?.name ?? field);

/** Yields the file line by line (header first), each ending in a line feed, so a large fleet streams. */
export function* registrationCsvLines(options: RegistrationCsvOptions): Generator<string> {
  yield `${header.join(';')}\n`;
  for (let index = 0; index < options.devices; index++) {
    const endpoint = endpointName(options.prefix, index);
    const lwm2m = lwm2mPsk(options.seed, endpoint);
    const bootstrap = bootstrapPsk(options.seed, endpoint);
    const psk = options.security === 'PSK';
    const row: Partial<Record<DeviceCsvField, string>> = {
      externalId: endpoint,
      idType: 'c8y_Serial',
      name: `Simulated device ${index}`,
      type: 'c8y_lwm2m',
      shellEnabled: '1',
      agent: '1',
      endpoint,
      serverUri: options.serverUri,
      securityMode: options.security,
      lwm2mPskId: psk ? lwm2m.identity : '',
      lwm2mPskKey: psk ? lwm2m.key.toString('hex') : '',
      bootstrapPskId: psk ? bootstrap.identity : '',
      bootstrapPskKey: psk ? bootstrap.key.toString('hex') : '',
      registrationLifetime: String(options.lifetime),
      bindingMode: options.binding,
    };
    yield `${fields.map((field) => row[field] ?? '').join(';')}\n`;
  }
}
