/**
 * What the fleet benchmarks run as separate processes, and how they read them: the simulator and the PSK
 * handshake load client, mbedTLS in C (their JSON reports, and their phases as they happen, so that the benchmark reads the
 * server's CPU time at the phase boundaries), the bare receiver and the bare DTLS server (the
 * yardsticks), and a process's CPU time from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { FleetPhase, FleetReport } from './Fleet.ts';
import type { LatencySummary } from './LatencySample.ts';

const simulatorPath = new URL('simulate.ts', import.meta.url).pathname;
const receiverPath = new URL('BareDatagramReceiver.ts', import.meta.url).pathname;
const pskHandshakeLoadPath = new URL('../../test/peers/bin/mbedtls-psk-handshake-load', import.meta.url).pathname;
const bareDtlsServerPath = new URL('BareDtlsServer.ts', import.meta.url).pathname;
/** Clock ticks per second of /proc's times (sysconf(_SC_CLK_TCK)). */
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User + system CPU seconds of a process and all its threads so far (proc(5): /proc/PID/stat fields 14 and 15). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/**
 * User + system CPU seconds so far of each thread of a process, summed by thread name (proc(5):
 * /proc/PID/task/TID/comm and stat): Node names its main thread `MainThread`, worker threads
 * `WorkerThread`, V8's helpers (concurrent marking, sweeping, compilation) `V8Worker`, libuv's pool
 * `libuv-worker`. A thread that ended in between is no longer counted.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let name: string;
    let stat: string;
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended while the directory was read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    seconds.set(name, (seconds.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / clockTicks);
  }
  return seconds;
}

/** Runs the simulator with `args`; `onPhase` is called as each phase begins. Rejects if it fails. */
export function runSimulator(args: readonly string[], onPhase: (phase: FleetPhase) => void = () => undefined): Promise<FleetReport> {
  return runReportingProcess<FleetReport, FleetPhase>('simulator', [process.execPath, simulatorPath], args, onPhase);
}

/** The report of test/peers/mbedtls_psk_handshake_load.c. */
export interface PskHandshakeReport {
  readonly done: number;
  readonly failed: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latencyMs: LatencySummary;
  readonly firstFailure?: string;
  /** The client's CPU time (user + system). */
  readonly clientCpuSeconds: number;
}

/**
 * Runs the mbedTLS PSK handshake load client (test/peers/mbedtls_psk_handshake_load.c, built by
 * test/peers/build.sh) with `args`; `onPhase` is called as it starts and ends handshaking.
 */
export function runPskHandshakeLoad(args: readonly string[], onPhase: (phase: 'handshaking' | 'done') => void = () => undefined): Promise<PskHandshakeReport> {
  if (!existsSync(pskHandshakeLoadPath)) throw new Error(`${pskHandshakeLoadPath} is missing: run test/peers/build.sh`);
  return runReportingProcess<PskHandshakeReport, 'handshaking' | 'done'>('PSK handshake load client', [pskHandshakeLoadPath], args, onPhase);
}

/** A process that writes its phases as JSON lines on stderr and its report as JSON on stdout. */
function runReportingProcess<Report, Phase extends string>(
  name: string,
  [command, ...commandArgs]: readonly [string, ...string[]],
  args: readonly string[],
  onPhase: (phase: Phase) => void,
): Promise<Report> {
  const child = spawn(command, [...commandArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (line.startsWith('{"phase"')) onPhase((JSON.parse(line) as { phase: Phase }).phase);
    else stderr += `${line}\n`;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as Report);
      else reject(new Error(`${name} exited with ${String(code)}: ${stderr}${stdout}`));
    });
  });
}

export interface BareReceiverCounts {
  readonly notifications: number;
  readonly registrations: number;
  readonly updates: number;
  readonly observed: number;
}

export interface BareReceiver {
  readonly port: number;
  readonly pid: number;
  /** Stops it (SIGTERM) and resolves with what it counted. */
  stop(): Promise<BareReceiverCounts>;
}

export async function startBareReceiver(observe: boolean): Promise<BareReceiver> {
  const { port, pid, lines, child } = await startListeningProcess(receiverPath, observe ? ['--observe'] : []);
  return {
    port,
    pid,
    stop: async () => {
      child.kill('SIGTERM');
      const counts = await lines.next();
      if (counts.done === true) throw new Error('the bare receiver stopped without its counts');
      return JSON.parse(counts.value) as BareReceiverCounts;
    },
  };
}

/** The PSK handshake yardstick (bench/fleet/BareDtlsServer.ts): the DTLS server alone, its lookup instant; `env` is added to its environment. */
export async function startBareDtlsServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ readonly port: number; readonly pid: number; stop(): Promise<void> }> {
  const { port, pid, child } = await startListeningProcess(bareDtlsServerPath, args, env);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    port,
    pid,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Starts a process that prints `{"port":N}` as its first stdout line once it listens. */
async function startListeningProcess(path: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ port: number; pid: number; lines: AsyncIterator<string>; child: ChildProcess }> {
  const child = spawn(process.execPath, [path, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true || child.pid === undefined) throw new Error(`${path} did not start`);
  const { port } = JSON.parse(first.value) as { port: number };
  return { port, pid: child.pid, lines, child };
}
