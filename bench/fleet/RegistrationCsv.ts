/**
 * The registration CSV of a simulated fleet, in the format of the LwM2M agent guide's examples
 * (examples/devices-nosec.csv, examples/devices-psk.csv): one row per endpoint `<prefix><n>`, NO_SEC or
 * PSK with the keys FleetCredentials derives, so that a server can import the fleet the simulator
 * then plays.
 */
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

const header = [
  'ID',
  'IDTYPE',
  'CREDENTIALS',
  'NAME',
  'TYPE',
  'SHELL',
  'com_cumulocity_model_Agent',
  'endpoint id',
  'lwm2m server uri',
  'securityMode',
  'lwm2m psk_id',
  'lwm2m psk_key',
  'bootstrap psk_id',
  'bootstrap psk_key',
  'registrationLifetime',
  'bindingMode',
];

/** Yields the file line by line (header first), each ending in a line feed, so a large fleet streams. */
export function* registrationCsvLines(options: RegistrationCsvOptions): Generator<string> {
  yield `${header.join(';')}\n`;
  for (let index = 0; index < options.devices; index++) {
    const endpoint = endpointName(options.prefix, index);
    const credentials =
      options.security === 'PSK'
        ? [lwm2mPsk(options.seed, endpoint), bootstrapPsk(options.seed, endpoint)].flatMap((psk) => [psk.identity, psk.key.toString('hex')])
        : ['', '', '', ''];
    const row = [endpoint, 'c8y_Serial', '', `Simulated device ${index}`, 'c8y_lwm2m', '1', '1', endpoint, options.serverUri, options.security, ...credentials, String(options.lifetime), options.binding];
    yield `${row.join(';')}\n`;
  }
}
