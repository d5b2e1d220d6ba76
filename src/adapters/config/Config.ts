/**
 * The service's configuration: every port and path is a command-line flag and an environment
 * variable, the flag winning. One table drives parsing, defaults and `--help`, so they cannot drift.
 */
import { parseArgs } from 'node:util';
import { logFormats } from '../logging/Logger.ts';
import type { LogFormat } from '../logging/Logger.ts';
import { defaultUdpReceiveBufferBytes } from '../runtime/UdpReceiveBuffer.ts';

export interface Config {
  readonly dataDir: string;
  /** `esdb://...` selects EventStoreDB; empty selects the embedded SQLite store. */
  readonly eventStoreUrl: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly coapHost: string;
  readonly coapPort: number;
  readonly coapsPort: number;
  readonly bootstrapPort: number;
  readonly bootstrapDtlsPort: number;
  /** CoAP over TCP and over TLS (RFC 8323): the LwM2M server's and the bootstrap server's ports. */
  readonly coapTcpPort: number;
  readonly coapsTcpPort: number;
  readonly bootstrapTcpPort: number;
  readonly bootstrapTlsPort: number;
  /** The host name devices reach the service at: the bootstrap server writes it in the server URIs. */
  readonly publicHost: string;
  /** PEM of the server's certificate (then its intermediates) and key; both '' for the generated pair. */
  readonly serverCertificate: string;
  readonly serverPrivateKey: string;
  /** PEM bundle of the certificates X.509 devices' chains may lead to; '' for none. */
  readonly trustStore: string;
  readonly logLevel: string;
  readonly logFormat: LogFormat;
  /** This node's id among the nodes sharing one event store; '' for the id kept in the data directory (NodeId.ts). */
  readonly nodeId: string;
  /** The receive buffer (SO_RCVBUF) of every UDP socket of the CoAP and DTLS servers, in bytes (UdpReceiveBuffer.ts). */
  readonly udpReceiveBufferBytes: number;
}

interface OptionSpec {
  readonly key: keyof Config;
  readonly flag: string;
  readonly env: string;
  readonly kind: 'string' | 'port' | 'bytes';
  /** The only values accepted, when the option is a choice. */
  readonly choices?: readonly string[];
  /** Unless given, the value of this earlier option (a TCP port of the same number as its UDP one). */
  readonly sameAs?: keyof Config;
  readonly defaultValue: string;
  readonly description: string;
}

export const configOptions: readonly OptionSpec[] = [
  { key: 'dataDir', flag: 'data-dir', env: 'LWM2M_HUB_DATA_DIR', kind: 'string', defaultValue: './data', description: 'Directory of the embedded event store, read models, master key and tokens' },
  { key: 'eventStoreUrl', flag: 'eventstore', env: 'EVENTSTORE_URL', kind: 'string', defaultValue: '', description: 'EventStoreDB connection string (esdb://...); empty: the embedded SQLite store' },
  { key: 'httpHost', flag: 'http-host', env: 'LWM2M_HUB_HTTP_HOST', kind: 'string', defaultValue: '127.0.0.1', description: 'Address of the GraphQL HTTP and WebSocket server' },
  { key: 'httpPort', flag: 'http-port', env: 'LWM2M_HUB_HTTP_PORT', kind: 'port', defaultValue: '4000', description: 'Port of the GraphQL server (path /graphql)' },
  { key: 'coapHost', flag: 'coap-host', env: 'LWM2M_HUB_COAP_HOST', kind: 'string', defaultValue: '::', description: 'Address the CoAP servers bind (:: is IPv4 and IPv6)' },
  { key: 'coapPort', flag: 'coap-port', env: 'LWM2M_HUB_COAP_PORT', kind: 'port', defaultValue: '5683', description: 'LwM2M server, plain CoAP' },
  { key: 'coapsPort', flag: 'coaps-port', env: 'LWM2M_HUB_COAPS_PORT', kind: 'port', defaultValue: '5684', description: 'LwM2M server, CoAP over DTLS (PSK)' },
  { key: 'bootstrapPort', flag: 'bootstrap-port', env: 'LWM2M_HUB_BOOTSTRAP_PORT', kind: 'port', defaultValue: '5783', description: 'Bootstrap server, plain CoAP' },
  { key: 'bootstrapDtlsPort', flag: 'bootstrap-dtls-port', env: 'LWM2M_HUB_BOOTSTRAP_DTLS_PORT', kind: 'port', defaultValue: '5784', description: 'Bootstrap server, CoAP over DTLS (PSK)' },
  // RFC 8323 section 8: coap+tcp and coaps+tcp default to the port numbers of coap and coaps (TCP and UDP ports are separate spaces).
  { key: 'coapTcpPort', flag: 'coap-tcp-port', env: 'LWM2M_HUB_COAP_TCP_PORT', kind: 'port', sameAs: 'coapPort', defaultValue: '5683', description: 'LwM2M server, CoAP over TCP (coap+tcp); default: the coap port' },
  { key: 'coapsTcpPort', flag: 'coaps-tcp-port', env: 'LWM2M_HUB_COAPS_TCP_PORT', kind: 'port', sameAs: 'coapsPort', defaultValue: '5684', description: 'LwM2M server, CoAP over TLS (coaps+tcp, PSK or X.509); default: the coaps port' },
  { key: 'bootstrapTcpPort', flag: 'bootstrap-tcp-port', env: 'LWM2M_HUB_BOOTSTRAP_TCP_PORT', kind: 'port', sameAs: 'bootstrapPort', defaultValue: '5783', description: 'Bootstrap server, CoAP over TCP; default: the bootstrap port' },
  { key: 'bootstrapTlsPort', flag: 'bootstrap-tls-port', env: 'LWM2M_HUB_BOOTSTRAP_TLS_PORT', kind: 'port', sameAs: 'bootstrapDtlsPort', defaultValue: '5784', description: 'Bootstrap server, CoAP over TLS (PSK); default: the bootstrap DTLS port' },
  { key: 'publicHost', flag: 'public-host', env: 'LWM2M_HUB_PUBLIC_HOST', kind: 'string', defaultValue: 'localhost', description: 'Host name devices reach the service at (written to devices as server URIs during bootstrap when the CSV has none)' },
  { key: 'serverCertificate', flag: 'server-certificate', env: 'LWM2M_HUB_SERVER_CERTIFICATE', kind: 'string', defaultValue: '', description: 'PEM file: the server certificate (secp256r1) for X509 and RPK devices, then any intermediates; empty: generated self-signed in the data directory' },
  { key: 'serverPrivateKey', flag: 'server-private-key', env: 'LWM2M_HUB_SERVER_PRIVATE_KEY', kind: 'string', defaultValue: '', description: 'PEM file: the private key of --server-certificate' },
  { key: 'trustStore', flag: 'trust-store', env: 'LWM2M_HUB_TRUST_STORE', kind: 'string', defaultValue: '', description: 'PEM file: the CA certificates X509 devices must chain to; empty: only devices whose CSV row pins their certificate' },
  { key: 'logLevel', flag: 'log-level', env: 'LOG_LEVEL', kind: 'string', defaultValue: 'info', description: 'pino log level: trace, debug, info, warn, error' },
  { key: 'nodeId', flag: 'node-id', env: 'LWM2M_HUB_NODE_ID', kind: 'string', defaultValue: '', description: 'This node\'s id when several nodes share one event store (letters, digits, . _ -); empty: the id kept in the data directory (node.id), made from the host name on the first start' },
  { key: 'udpReceiveBufferBytes', flag: 'udp-receive-buffer', env: 'LWM2M_HUB_UDP_RECEIVE_BUFFER', kind: 'bytes', defaultValue: String(defaultUdpReceiveBufferBytes), description: 'Receive buffer (SO_RCVBUF) of each CoAP and DTLS UDP socket, in bytes: datagrams kept while the server is busy; the kernel caps it at net.core.rmem_max (logged at start)' },
  { key: 'logFormat', flag: 'log-format', env: 'LOG_FORMAT', kind: 'string', choices: logFormats, defaultValue: 'auto', description: 'json, pretty (human-readable), or auto: pretty when stderr is a terminal, JSON otherwise' },
];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ParsedCommandLine {
  readonly config: Config;
  readonly positionals: readonly string[];
  /** Flags not in the configuration table, for the subcommand to interpret. */
  readonly extra: Readonly<Record<string, string | boolean | undefined>>;
}

/**
 * Parses configuration flags (and any subcommand flags given in `extraOptions`) over the environment.
 * Throws ConfigError naming the offending flag or variable.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  extraOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {},
): ParsedCommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { ...extraOptions };
  for (const spec of configOptions) options[spec.flag] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const config: Record<string, string | number> = {};
  for (const spec of configOptions) {
    const fromFlag = values[spec.flag];
    const same = spec.sameAs === undefined ? undefined : config[spec.sameAs];
    if (same !== undefined && typeof fromFlag !== 'string' && env[spec.env] === undefined) {
      config[spec.key] = same;
      continue;
    }
    const raw = typeof fromFlag === 'string' ? fromFlag : (env[spec.env] ?? spec.defaultValue);
    const source = typeof fromFlag === 'string' ? `--${spec.flag}` : env[spec.env] !== undefined ? spec.env : 'default';
    if (spec.choices !== undefined && !spec.choices.includes(raw)) throw new ConfigError(`${source}: "${raw}" is not one of ${spec.choices.join(', ')}`);
    config[spec.key] = spec.kind === 'port' ? parsePort(raw, source) : spec.kind === 'bytes' ? parseBytes(raw, source) : raw;
  }
  const extra: Record<string, string | boolean | undefined> = {};
  for (const name of Object.keys(extraOptions)) extra[name] = values[name];
  return { config: config as unknown as Config, positionals: parsed.positionals, extra };
}

function parsePort(raw: string, source: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(`${source}: "${raw}" is not a port number (0 to 65535)`);
  }
  return Number(raw);
}

/** A buffer size in bytes: at least 4 KiB (less would drop a fleet's every burst), at most 1 GiB. */
function parseBytes(raw: string, source: string): number {
  const bytes = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(bytes >= 4096 && bytes <= 2 ** 30)) throw new ConfigError(`${source}: "${raw}" is not a size in bytes from 4096 to 1073741824`);
  return bytes;
}

export function configHelp(): string {
  const rows = configOptions.map(
    (spec) => `  --${spec.flag.padEnd(20)} ${spec.env.padEnd(30)} ${(spec.defaultValue || '(none)').padEnd(10)} ${spec.description}`,
  );
  return [`  ${'flag'.padEnd(22)} ${'environment'.padEnd(30)} ${'default'.padEnd(10)} meaning`, ...rows].join('\n');
}
