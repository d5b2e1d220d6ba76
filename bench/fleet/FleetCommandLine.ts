/**
 * The simulator's command line: flags to FleetOptions, or a message that says which flag is wrong and
 * why. `--write-csv FILE` asks for the fleet's registration CSV instead of a run.
 */
import { parseArgs } from 'node:util';
import type { FleetOptions } from './Fleet.ts';
import type { RegistrationCsvOptions } from './RegistrationCsv.ts';

export type FleetCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly options: FleetOptions }
  | { readonly kind: 'write-csv'; readonly file: string; readonly csv: RegistrationCsvOptions }
  | { readonly kind: 'error'; readonly message: string };

export const fleetHelp = `Usage: npm run simulate -- --server URI [options]

A fleet of simulated LwM2M devices in one process, against any LwM2M server. Each device registers
(POST /rd, endpoint <prefix><n>), renews with Updates, answers reads of /1/0, /3/0 and /3303/0, accepts
observes and notifies /3303/0/5700; the fleet then reports what it saw as JSON on stdout (phases as
JSON lines and a one-line summary on stderr) and stops after --duration.

  --server URI            coap://HOST:PORT (plain UDP) or coaps://HOST:PORT (DTLS 1.2 PSK, node-dtls-client)
  --devices N             devices (default 100)
  --prefix TEXT           endpoint names are <prefix><n>, n from 0 (default fleet-)
  --sockets N             devices share N UDP sockets instead of one each (plain CoAP only; the server
                          then sees N addresses and cannot tell the devices behind one apart)
  --lifetime S            registration lifetime in seconds (default 300)
  --update-interval S     seconds between a device's Updates (default: 0.8 x lifetime; 0: none)
  --rate N                notifications per second over the whole fleet (default 0: register only)
  --notifying N           only N of the observed devices notify, the others stay silent (default: all)
  --confirmable           notify with CON (default NON); then reports the send -> ACK latency
  --queue-mode            binding UQ: a device answers only for --awake-ms after it last sent
  --awake-ms MS           queue mode's awake time (default 10000)
  --duration S            seconds of notifying (or of idling when --rate is 0) (default 10)
  --concurrency N         registrations in flight at once (default 256)
  --observe-wait S        longest wait for the server to observe every device (default 10)
  --drain S               longest wait after notifying for ACKs and subscriber values (default 5)
  --lwm2m-version V       announced LwM2M version (default 1.1)
  --psk-seed TEXT         seed the PSK keys are derived from (default lwm2m-hub-fleet)
  --graphql URL           lwm2m-hub only: subscribe to resourceValues of every device at this GraphQL
  --token T               URL (http://HOST:PORT/graphql) with this API token; reports send -> subscriber latency
  --write-csv FILE        write the fleet's registration CSV (NO_SEC for coap://, PSK for coaps://) and exit
  --help                  this text
`;

const flags = {
  server: { type: 'string' },
  devices: { type: 'string' },
  prefix: { type: 'string' },
  sockets: { type: 'string' },
  lifetime: { type: 'string' },
  'update-interval': { type: 'string' },
  rate: { type: 'string' },
  notifying: { type: 'string' },
  confirmable: { type: 'boolean' },
  'queue-mode': { type: 'boolean' },
  'awake-ms': { type: 'string' },
  duration: { type: 'string' },
  concurrency: { type: 'string' },
  'observe-wait': { type: 'string' },
  drain: { type: 'string' },
  'lwm2m-version': { type: 'string' },
  'psk-seed': { type: 'string' },
  graphql: { type: 'string' },
  token: { type: 'string' },
  'write-csv': { type: 'string' },
  help: { type: 'boolean' },
} as const;

class FlagError extends Error {}

export function parseFleetCommandLine(argv: readonly string[]): FleetCommand {
  try {
    return parse(argv);
  } catch (error) {
    if (error instanceof FlagError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) return { kind: 'error', message: error.message };
    throw error;
  }
}

function parse(argv: readonly string[]): FleetCommand {
  const { values, positionals } = parseArgs({ args: [...argv], options: flags, allowPositionals: true, strict: true });
  if (values.help === true) return { kind: 'help' };
  if (positionals.length > 0) throw new FlagError(`unexpected argument "${positionals[0] ?? ''}": every option is a --flag`);
  const number = (name: keyof typeof flags, fallback: number, minimum: number, integer = true): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value) || value < minimum || (integer && !Number.isInteger(value))) {
      throw new FlagError(`--${name} "${String(text)}": give ${integer ? 'a whole number' : 'a number'} >= ${minimum}`);
    }
    return value;
  };
  const prefix = values.prefix ?? 'fleet-';
  // The names go into CoAP Uri-Query and CSV cells: keep them to characters that need no escaping.
  if (!/^[A-Za-z0-9._:-]{0,200}$/.test(prefix)) throw new FlagError(`--prefix "${prefix}": use letters, digits and . _ : - only (at most 200)`);
  const serverText = values.server ?? (values['write-csv'] !== undefined ? 'coap://localhost:5683' : undefined);
  if (serverText === undefined) throw new FlagError('--server is required, e.g. --server coap://127.0.0.1:5683');
  const server = parseServer(serverText);
  const devices = number('devices', 100, 1);
  const lifetime = number('lifetime', 300, 1);
  const pskSeed = values['psk-seed'] ?? 'lwm2m-hub-fleet';
  const queueMode = values['queue-mode'] === true;
  if (values['write-csv'] !== undefined) {
    return {
      kind: 'write-csv',
      file: values['write-csv'],
      csv: { devices, prefix, serverUri: serverText, security: server.secure ? 'PSK' : 'NO_SEC', seed: pskSeed, lifetime, binding: queueMode ? 'UQ' : 'U' },
    };
  }
  const sockets = values.sockets === undefined ? undefined : number('sockets', 1, 1);
  if (sockets !== undefined && server.secure) throw new FlagError('--sockets: a DTLS session belongs to one socket; a coaps:// fleet has a socket per device');
  if ((values.graphql === undefined) !== (values.token === undefined)) throw new FlagError('--graphql and --token go together');
  const updateInterval = number('update-interval', Math.max(1, Math.floor(lifetime * 0.8)), 0, false);
  return {
    kind: 'run',
    options: {
      server,
      devices,
      prefix,
      sockets: sockets === undefined ? undefined : Math.min(sockets, devices),
      lifetime,
      updateInterval: updateInterval === 0 ? undefined : updateInterval,
      rate: number('rate', 0, 0),
      notifying: values.notifying === undefined ? undefined : number('notifying', 1, 1),
      confirmable: values.confirmable === true,
      awakeMs: queueMode ? number('awake-ms', 10_000, 1) : undefined,
      duration: number('duration', 10, 0, false),
      concurrency: number('concurrency', 256, 1),
      observeWait: number('observe-wait', 10, 0, false),
      drain: number('drain', 5, 0, false),
      lwm2mVersion: values['lwm2m-version'] ?? '1.1',
      pskSeed: pskSeed,
      graphql: values.graphql === undefined || values.token === undefined ? undefined : { url: values.graphql, token: values.token },
    },
  };
}

function parseServer(text: string): FleetOptions['server'] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FlagError(`--server "${text}": not a URI; give coap://HOST:PORT or coaps://HOST:PORT`);
  }
  if (url.protocol !== 'coap:' && url.protocol !== 'coaps:') throw new FlagError(`--server "${text}": the scheme must be coap or coaps`);
  const secure = url.protocol === 'coaps:';
  // RFC 7252 section 6.1 and 6.2: the default ports.
  const port = url.port === '' ? (secure ? 5684 : 5683) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, secure };
}
