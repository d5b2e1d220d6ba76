/** Runs `lwm2m-hub` (src/cli.ts) as a child process, as an operator would, and collects its output. */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

export const cliPath = resolve(import.meta.dirname, '../../src/cli.ts');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `env` is added to this process's environment; `cwd` is where the operator runs it (this process's by default). */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, ...(cwd === undefined ? {} : { cwd }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts `lwm2m-hub` without waiting for it, e.g. to kill it at a chosen moment. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, stderr: () => stderr, exited };
}

/** Port 0 for every listener, so that parallel test runs never collide. */
function ephemeralPorts(): string[] {
  return ['--http-port', '0', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'];
}

export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything the process wrote to stderr (its JSON log) so far. */
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** The GraphQL endpoint it logged (`http://127.0.0.1:<port>/graphql`). */
  readonly graphqlUrl: string;
  /** The LwM2M server's ports it logged: plain CoAP and CoAP over DTLS. */
  readonly coapPort: number;
  readonly coapsPort: number;
}

/** Starts `lwm2m-hub serve` on `dataDir` at ephemeral ports and resolves once it logged readiness. */
export async function startServe(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--data-dir', dataDir, ...ephemeralPorts()], {
    env: { ...process.env, LWM2M_HUB_MASTER_KEY: '', ...env },
  });
  let stderr = '';
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no readiness within 20 s; stderr:\n${stderr}`)), 20_000);
    void exited.then((code) => fail(new Error(`serve exited with ${String(code)} before readiness; stderr:\n${stderr}`)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('"msg":"lwm2m-hub ready"')) {
        clearTimeout(timer);
        done();
      }
    });
  });
  const listening = /"url":"(http:[^"]+)"[^\n]*"msg":"GraphQL server listening/.exec(stderr);
  if (!listening?.[1]) throw new Error(`serve logged no GraphQL address; stderr:\n${stderr}`);
  const lwm2m = /"port":(\d+),"coapsPort":(\d+)[^\n]*"msg":"LwM2M server listening/.exec(stderr);
  if (!lwm2m?.[1] || !lwm2m[2]) throw new Error(`serve logged no LwM2M ports; stderr:\n${stderr}`);
  return { child, stderr: () => stderr, exited, graphqlUrl: listening[1], coapPort: Number(lwm2m[1]), coapsPort: Number(lwm2m[2]) };
}
