/**
 * `lwm2m-hub shell ENDPOINT 'COMMAND' ['COMMAND'...] [--url URL] [--wait SECONDS]`: runs device shell
 * commands (one per argument, or several lines in one) through the running service's GraphQL API (the
 * embedded store belongs to the service's process, so the command line cannot queue operations
 * itself), waits for their operations to end and prints each line's status and readable result. A
 * device that is not registered gets its commands queued at once, with how to follow them, rather
 * than a wait that cannot end: `lwm2m-hub shell ENDPOINT --history` prints its latest shell lines.
 *
 * The API token comes from LWM2M_HUB_TOKEN, else from `<dataDir>/admin.token` (written by the
 * service's first start); the URL is the running service's (`<dataDir>/service.json`), else
 * http://127.0.0.1:<httpPort>/graphql.
 *
 * Exit codes: 0 every line succeeded (or was queued for an offline device); 1 the service refused the
 * input (grammar, model, validation rules, a disabled shell: the reason on stderr), could not be
 * reached, or a line failed, was cancelled or had not ended within --wait; 2 usage.
 */
import type { Config } from '../adapters/config/Config.ts';
import { exitCodes } from './ExitCodes.ts';
import type { GraphQLAnswer, ServiceApi } from './ServiceApi.ts';
import { apiToken, callGraphQL, formatErrors, missingTokenMessage, runningServiceUrl, ServiceUnreachable } from './ServiceApi.ts';

export interface ShellCommandInput {
  readonly config: Config;
  readonly positionals: readonly string[];
  readonly url: string | boolean | undefined;
  readonly wait: string | boolean | undefined;
  readonly history: boolean;
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

const DEFAULT_WAIT_SECONDS = 30;
const MAX_WAIT_SECONDS = 120;
/** Lines `--history` prints: the latest ones. */
const HISTORY_LINES = 20;
const HISTORY_PAGE = 100;

const shellMutation = `mutation Shell($endpoint: String!, $command: String!, $waitSeconds: Int) {
  shell(endpoint: $endpoint, command: $command, waitSeconds: $waitSeconds) { lines { line text status responseCode result } }
}`;

const onlineQuery = `query DeviceOnline($endpoint: String!) { device(endpoint: $endpoint) { online } }`;

const historyQuery = `query ShellHistory($endpoint: String!, $first: Int, $after: String) {
  shellHistory(endpoint: $endpoint, first: $first, after: $after) { edges { node { line text status responseCode result } } pageInfo { hasNextPage endCursor } }
}`;

const usage = "usage: lwm2m-hub shell ENDPOINT 'COMMAND' ['COMMAND'...] [--url URL] [--wait SECONDS], or lwm2m-hub shell ENDPOINT --history";

export async function runShell(input: ShellCommandInput): Promise<number> {
  const { stdout, stderr } = input.output;
  const [endpoint, ...commands] = input.positionals;
  if (endpoint === undefined || (commands.length === 0) !== input.history) {
    stderr.write(`lwm2m-hub shell: ${usage}\n`);
    return exitCodes.usage;
  }
  const waitSeconds = input.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(input.wait);
  if (typeof input.wait === 'boolean' || !Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
    stderr.write(`lwm2m-hub shell: --wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}\n`);
    return exitCodes.usage;
  }
  const token = apiToken(input.config, input.env);
  if (token === undefined) {
    stderr.write(`lwm2m-hub shell: ${missingTokenMessage(input.config)}\n`);
    return exitCodes.failed;
  }
  const url = typeof input.url === 'string' ? input.url : (runningServiceUrl(input.config) ?? `http://127.0.0.1:${input.config.httpPort}/graphql`);
  const api: ServiceApi = { url, token };
  try {
    if (input.history) return await printHistory(api, endpoint, input.output);
    const device = await callGraphQL<{ device: { online: boolean } | null }>(api, onlineQuery, { endpoint });
    const offline = device.data?.device?.online === false;
    const answer = await callGraphQL<{ shell: { lines: readonly ShellLineResult[] } }>(api, shellMutation, {
      endpoint,
      command: commands.join('\n'),
      waitSeconds: offline ? 0 : waitSeconds,
    });
    const lines = answer.data?.shell.lines;
    if (lines === undefined) return failed(answer, stderr);
    for (const line of lines) stdout.write(formatLine(line));
    if (offline) {
      stderr.write(
        `lwm2m-hub shell: ${endpoint} is not registered now: ${lines.length === 1 ? 'the command is' : `the ${lines.length} commands are`} queued and run when it registers; follow ${lines.length === 1 ? 'it' : 'them'} with: lwm2m-hub shell ${endpoint} --history\n`,
      );
      return exitCodes.ok;
    }
    return lines.every((line) => line.status === 'SUCCEEDED') ? exitCodes.ok : exitCodes.failed;
  } catch (error) {
    if (!(error instanceof ServiceUnreachable)) throw error;
    stderr.write(`lwm2m-hub shell: ${error.message}\n`);
    return exitCodes.failed;
  }
}

/** The device's latest shell lines, oldest first, as the history pages them. */
async function printHistory(api: ServiceApi, endpoint: string, output: ShellCommandInput['output']): Promise<number> {
  let latest: ShellLineResult[] = [];
  let after: string | null = null;
  for (;;) {
    const answer: GraphQLAnswer<{ shellHistory: { edges: ReadonlyArray<{ node: ShellLineResult }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }> =
      await callGraphQL(api, historyQuery, { endpoint, first: HISTORY_PAGE, after });
    const page = answer.data?.shellHistory;
    if (page === undefined) return failed(answer, output.stderr);
    latest = [...latest, ...page.edges.map((edge) => edge.node)].slice(-HISTORY_LINES);
    if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) break;
    after = page.pageInfo.endCursor;
  }
  if (latest.length === 0) output.stderr.write(`lwm2m-hub shell: ${endpoint} has no shell history\n`);
  for (const line of latest) output.stdout.write(formatLine(line));
  return exitCodes.ok;
}

function failed(answer: GraphQLAnswer<unknown>, stderr: NodeJS.WritableStream): number {
  stderr.write(formatErrors('shell', answer.errors ?? [{ message: 'the service answered without a result' }]));
  return exitCodes.failed;
}

/** `[1] read /3/0/0: SUCCEEDED 2.05` and the result below it, indented. */
function formatLine(line: ShellLineResult): string {
  const head = `[${line.line}] ${line.text}: ${line.status}${line.responseCode === null ? '' : ` ${line.responseCode}`}\n`;
  const result = line.result === null ? '' : `${line.result.split('\n').map((text) => `    ${text}`).join('\n')}\n`;
  return head + result;
}
