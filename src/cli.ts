#!/usr/bin/env node
/**
 * The `lwm2m-hub` command line. Each subcommand lives in `src/cli/`; this file only dispatches and
 * prints help. Configuration flags (ports, paths) are shared by all subcommands: see Config.ts.
 */
import { ConfigError, configHelp, parseCommandLine } from './adapters/config/Config.ts';
import type { Config } from './adapters/config/Config.ts';
import { createLogger } from './adapters/logging/Logger.ts';
import type { Logger } from './adapters/logging/Logger.ts';
import { runServe } from './cli/ServeCommand.ts';
import { runReplay } from './cli/ReplayCommand.ts';
import { runToken } from './cli/TokenCommand.ts';
import { runImportProtocol } from './cli/ImportProtocolCommand.ts';
import { runImportDevices } from './cli/ImportDevicesCommand.ts';
import { runShell } from './cli/ShellCommand.ts';
import { exitCodes, exitCodesHelp } from './cli/ExitCodes.ts';
import { runBackup } from './cli/BackupCommand.ts';
import { resolveUserPath } from './cli/InvocationDirectory.ts';

interface Subcommand {
  readonly usage: string;
  readonly summary: string;
  /** Command lines to copy, each with what it does. */
  readonly examples: ReadonlyArray<readonly [string, string]>;
  readonly options?: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(config: Config, positionals: readonly string[], extra: Readonly<Record<string, string | boolean | undefined>>, logger: Logger): Promise<number>;
}

const subcommands: Record<string, Subcommand> = {
  serve: {
    usage: 'serve',
    summary: 'run the service (GraphQL, LwM2M and bootstrap servers) on the configured store',
    examples: [
      ['lwm2m-hub serve', 'the embedded store in ./data, GraphQL on http://127.0.0.1:4000/graphql'],
      ['lwm2m-hub serve --data-dir /var/lib/lwm2m-hub --http-host 0.0.0.0 --public-host hub.example.com', 'listen on every address; bootstrap writes coap://hub.example.com:5683 to devices'],
      ['LOG_FORMAT=json lwm2m-hub serve 2>>hub.log', 'JSON log lines even in a terminal'],
    ],
    run: (config, _positionals, _extra, logger) => runServe(config, logger),
  },
  replay: {
    usage: 'replay',
    summary: 'drop the read models and rebuild them from the event log (service stopped)',
    examples: [['lwm2m-hub replay --data-dir ./data', 'rebuild every read model of ./data, with progress (a running service: the rebuildReadModels mutation)']],
    run: (config, _positionals, _extra, logger) => runReplay(config, logger, process.stdout),
  },
  backup: {
    usage: 'backup DIR',
    summary: 'copy the embedded store (a consistent snapshot, the service running or not), master key, tokens and firmware into a new directory',
    examples: [
      ['lwm2m-hub backup backups/$(date +%F)', "today's copy of ./data; restore: stop the service, then serve with --data-dir backups/DATE (or copy it back)"],
    ],
    run: (config, positionals) => {
      const [target, ...others] = positionals;
      if (target === undefined || others.length > 0) {
        process.stderr.write('lwm2m-hub backup: give exactly one directory to copy into\n');
        return Promise.resolve(exitCodes.usage);
      }
      return Promise.resolve(runBackup({ config, target: resolveUserPath(target, process.env), output: process }));
    },
  },
  token: {
    usage: 'token create --role ROLE',
    summary: 'add an API token (ROLE: viewer, operator or admin) and print it once on stdout (through the service when it runs)',
    examples: [
      ["lwm2m-hub token create --role viewer --description 'dashboard'", 'a read-only token, printed once'],
      ['export LWM2M_HUB_TOKEN=$(lwm2m-hub token create --role operator)', 'a token for the shell command'],
    ],
    options: { role: { type: 'string' }, description: { type: 'string' } },
    run: (config, positionals, extra, logger) =>
      runToken(config, { positionals, role: extra['role'], description: extra['description'] }, process.env, logger, process),
  },
  'import-devices': {
    usage: 'import-devices FILE [--valid-only]',
    summary: 'import device registrations from a CSV file (all rows or none, unless --valid-only; through the service when it runs)',
    examples: [
      ['lwm2m-hub import-devices examples/devices-nosec.csv', 'import the rows, or none of them and every problem with line and column'],
      ['lwm2m-hub import-devices fleet.csv --valid-only', 'import the valid rows, list the others'],
    ],
    options: { 'valid-only': { type: 'boolean' } },
    run: (config, positionals, extra, logger) => {
      const [file, ...others] = positionals;
      if (file === undefined || others.length > 0) {
        process.stderr.write('lwm2m-hub import-devices: give exactly one CSV file\n');
        return Promise.resolve(exitCodes.usage);
      }
      return runImportDevices({ file: resolveUserPath(file, process.env), config, validOnly: extra['valid-only'] === true, logger });
    },
  },
  'import-protocol': {
    usage: 'import-protocol FILE',
    summary: 'import the objects of a DDF/XML file (from the OMA registry) as device protocols (all or none; through the service when it runs)',
    examples: [['lwm2m-hub import-protocol 3303.xml', 'the IPSO Temperature object, from https://github.com/OpenMobileAlliance/lwm2m-registry']],
    run: (config, positionals, _extra, logger) => {
      const [file, ...others] = positionals;
      if (file === undefined || others.length > 0) {
        process.stderr.write('lwm2m-hub import-protocol: give exactly one DDF file\n');
        return Promise.resolve(exitCodes.usage);
      }
      return runImportProtocol({ file: resolveUserPath(file, process.env), config, logger });
    },
  },
  shell: {
    usage: "shell ENDPOINT 'COMMAND'... [--url URL] [--wait SEC] | --history",
    summary: 'run device shell commands through the running service (token: LWM2M_HUB_TOKEN or <dataDir>/admin.token); --history: its latest lines',
    examples: [
      ["lwm2m-hub shell my-device 'read /3/0' 'observe /3303/0/5700'", 'read the Device object, then observe a temperature; waits up to 30 s for the answers'],
      ["lwm2m-hub shell my-device 'write /3/0/13 2026-01-01T00:00:00Z' --wait 60", 'wait longer for a slow device'],
      ['lwm2m-hub shell my-device --history', 'the latest shell lines of the device and their results (commands queued for an offline device)'],
    ],
    options: { url: { type: 'string' }, wait: { type: 'string' }, history: { type: 'boolean' } },
    run: (config, positionals, extra) =>
      runShell({ config, positionals, url: extra['url'], wait: extra['wait'], history: extra['history'] === true, env: process.env, output: process }),
  },
};

function help(): string {
  const commands = Object.values(subcommands).map((c) => `  lwm2m-hub ${c.usage.padEnd(40)} ${c.summary}`);
  return [
    'Usage:',
    ...commands,
    '',
    'lwm2m-hub COMMAND --help shows examples of the command.',
    exitCodesHelp,
    '',
    'Configuration (flag, environment variable, default):',
    configHelp(),
    '',
  ].join('\n');
}

function subcommandHelp(subcommand: Subcommand): string {
  const examples = subcommand.examples.map(([line, what]) => `  ${line}\n      ${what}`);
  return [`Usage: lwm2m-hub ${subcommand.usage}`, `  ${subcommand.summary}`, '', 'Examples:', ...examples, '', exitCodesHelp, '', 'Configuration (flag, environment variable, default):', configHelp(), ''].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  const subcommand = subcommands[name];
  if (!subcommand) {
    process.stderr.write(`lwm2m-hub: unknown command "${name}"\n\n${help()}`);
    return exitCodes.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(subcommandHelp(subcommand));
    return exitCodes.ok;
  }
  let parsed;
  try {
    parsed = parseCommandLine(rest, process.env, subcommand.options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`lwm2m-hub ${name}: ${error.message}\n`);
      return exitCodes.usage;
    }
    throw error;
  }
  const logger = createLogger({ level: parsed.config.logLevel, format: parsed.config.logFormat });
  try {
    return await subcommand.run(parsed.config, parsed.positionals, parsed.extra, logger);
  } catch (error) {
    // What went wrong, in one line a person can act on; the stack is for --log-level debug.
    process.stderr.write(`lwm2m-hub ${name}: ${oneLine(error)}\n`);
    logger.debug({ err: error }, `${name} failed`);
    return exitCodes.failed;
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

process.exitCode = await main(process.argv.slice(2));
