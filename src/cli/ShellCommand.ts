/**
 * `lwm2m-hub shell ENDPOINT 'COMMAND' ['COMMAND'...] [--url URL] [--wait SECONDS]`: runs device shell
 * commands (one per argument, or several lines in one) through the running service's GraphQL API (the
 * embedded store belongs to the service's process, so the command line cannot queue operations
 * itself), waits for their operations to end and prints each line's status and readable result.
 *
 * The API token comes from LWM2M_HUB_TOKEN, else from `<dataDir>/admin.token` (written by the
 * service's first start); the URL defaults to http://127.0.0.1:<httpPort>/graphql.
 *
 * Exit codes: 0 every line succeeded; 1 the service refused the input (grammar, model, validation
 * rules, a disabled shell: the reason on stderr) or could not be reached; 2 usage; 3 a line failed,
 * was cancelled or had not ended within --wait.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../adapters/config/Config.ts';

export interface ShellCommandInput {
  readonly config: Config;
  readonly positionals: readonly string[];
  readonly url: string | boolean | undefined;
  readonly wait: string | boolean | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly output: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

interface ShellLineResult {
  readonly line: number;
  readonly text: string;
  readonly status: string;
  readonly responseCode: string | null;
  readonly result: string | null;
}

interface GraphQLError {
  readonly message: string;
  readonly extensions?: { readonly code?: string };
}

const DEFAULT_WAIT_SECONDS = 30;
const MAX_WAIT_SECONDS = 120;

const mutation = `mutation Shell($endpoint: String!, $command: String!, $waitSeconds: Int) {
  shell(endpoint: $endpoint, command: $command, waitSeconds: $waitSeconds) { lines { line text status responseCode result } }
}`;

export async function runShell(input: ShellCommandInput): Promise<number> {
  const { stdout, stderr } = input.output;
  const [endpoint, ...commands] = input.positionals;
  if (endpoint === undefined || commands.length === 0) {
    stderr.write("lwm2m-hub shell: usage: lwm2m-hub shell ENDPOINT 'COMMAND' ['COMMAND'...] [--url URL] [--wait SECONDS]\n");
    return 2;
  }
  const waitSeconds = input.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(input.wait);
  if (typeof input.wait === 'boolean' || !Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
    stderr.write(`lwm2m-hub shell: --wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}\n`);
    return 2;
  }
  const url = typeof input.url === 'string' ? input.url : `http://127.0.0.1:${input.config.httpPort}/graphql`;
  const token = apiToken(input.config, input.env);
  if (token === undefined) {
    stderr.write(`lwm2m-hub shell: no API token: set LWM2M_HUB_TOKEN or start the service once to write ${join(resolve(input.config.dataDir), 'admin.token')}\n`);
    return 2;
  }
  let body: { data?: { shell?: { lines: readonly ShellLineResult[] } } | null; errors?: readonly GraphQLError[] };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: mutation, variables: { endpoint, command: commands.join('\n'), waitSeconds } }),
    });
    body = (await response.json()) as typeof body;
  } catch (error) {
    stderr.write(`lwm2m-hub shell: cannot reach the service at ${url}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const lines = body.data?.shell?.lines;
  if (body.errors !== undefined || lines === undefined) {
    for (const error of body.errors ?? [{ message: 'the service answered without a result' }]) stderr.write(`lwm2m-hub shell: ${error.extensions?.code ?? 'ERROR'}: ${error.message}\n`);
    return 1;
  }
  for (const line of lines) stdout.write(formatLine(line));
  return lines.every((line) => line.status === 'SUCCEEDED') ? 0 : 3;
}

/** `[1] read /3/0/0: SUCCEEDED 2.05` and the result below it, indented. */
function formatLine(line: ShellLineResult): string {
  const head = `[${line.line}] ${line.text}: ${line.status}${line.responseCode === null ? '' : ` ${line.responseCode}`}\n`;
  const result = line.result === null ? '' : `${line.result.split('\n').map((text) => `    ${text}`).join('\n')}\n`;
  return head + result;
}

function apiToken(config: Config, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env['LWM2M_HUB_TOKEN'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  try {
    const fromFile = readFileSync(join(resolve(config.dataDir), 'admin.token'), 'utf8').trim();
    return fromFile === '' ? undefined : fromFile;
  } catch {
    return undefined;
  }
}
