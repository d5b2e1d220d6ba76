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

interface Subcommand {
  readonly usage: string;
  readonly summary: string;
  readonly options?: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(config: Config, positionals: readonly string[], extra: Readonly<Record<string, string | boolean | undefined>>, logger: Logger): Promise<number>;
}

const subcommands: Record<string, Subcommand> = {
  serve: {
    usage: 'serve',
    summary: 'run the service (GraphQL, LwM2M and bootstrap servers) on the configured store',
    run: (config, _positionals, _extra, logger) => runServe(config, logger),
  },
  replay: {
    usage: 'replay',
    summary: 'drop the read models and rebuild them from the event log (service stopped)',
    run: (config, _positionals, _extra, logger) => runReplay(config, logger, process.stdout),
  },
  token: {
    usage: 'token create --role ROLE',
    summary: 'add an API token (ROLE: viewer, operator or admin) and print it once on stdout',
    options: { role: { type: 'string' }, description: { type: 'string' } },
    run: (config, positionals, extra, logger) =>
      runToken(config, { positionals, role: extra['role'], description: extra['description'] }, process.env, logger, process),
  },
  'import-devices': {
    usage: 'import-devices FILE [--valid-only]',
    summary: 'import device registrations from a CSV file, with progress (all rows or none, unless --valid-only)',
    options: { 'valid-only': { type: 'boolean' } },
    run: (config, positionals, extra, logger) => {
      const [file, ...others] = positionals;
      if (file === undefined || others.length > 0) {
        process.stderr.write('lwm2m-hub import-devices: give exactly one CSV file\n');
        return Promise.resolve(2);
      }
      return runImportDevices({ file, config, validOnly: extra['valid-only'] === true, logger });
    },
  },
  'import-protocol': {
    usage: 'import-protocol FILE',
    summary: 'import the objects of a DDF/XML file as device protocols (all or none)',
    run: (config, positionals, _extra, logger) => {
      const [file, ...others] = positionals;
      if (file === undefined || others.length > 0) {
        process.stderr.write('lwm2m-hub import-protocol: give exactly one DDF file\n');
        return Promise.resolve(2);
      }
      return runImportProtocol({ file, config, logger });
    },
  },
  shell: {
    usage: "shell ENDPOINT 'COMMAND'... [--url URL] [--wait SEC]",
    summary: 'run device shell commands through the running service (token: LWM2M_HUB_TOKEN or <dataDir>/admin.token)',
    options: { url: { type: 'string' }, wait: { type: 'string' } },
    run: (config, positionals, extra) => runShell({ config, positionals, url: extra['url'], wait: extra['wait'], env: process.env, output: process }),
  },
};

function help(): string {
  const commands = Object.values(subcommands).map((c) => `  lwm2m-hub ${c.usage.padEnd(40)} ${c.summary}`);
  return ['Usage:', ...commands, '', 'Configuration (flag, environment variable, default):', configHelp(), ''].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 1 : 0;
  }
  const subcommand = subcommands[name];
  if (!subcommand) {
    process.stderr.write(`lwm2m-hub: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: lwm2m-hub ${subcommand.usage}\n  ${subcommand.summary}\n\n${configHelp()}\n`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseCommandLine(rest, process.env, subcommand.options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`lwm2m-hub ${name}: ${error.message}\n`);
      return 2;
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
    return 1;
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

process.exitCode = await main(process.argv.slice(2));
