/**
 * Full DTLS 1.2 PSK handshakes, one after the other on each of --concurrency loops, for --seconds, by
 * node-dtls-client (an implementation independent of the server's): each handshake from a new socket,
 * with the identity and key of the next device of the fleet (round robin over --devices, as
 * FleetCredentials derives them, so that the server's key lookup meets every device of the fleet), then
 * close_notify. Nothing is sent over the session: what is measured is the handshake.
 *
 *   node bench/fleet/PskHandshakeLoop.ts --server coaps://HOST:PORT --devices N --prefix P --psk-seed S --concurrency C --seconds S
 *
 * Writes `{"phase":"handshaking"}` and `{"phase":"done"}` lines to stderr as it starts and ends (for a
 * benchmark to read the server's CPU time at those moments), and its report as JSON on stdout.
 */
import { parseArgs } from 'node:util';
import { openDtlsChannel } from './DatagramChannels.ts';
import { endpointName, lwm2mPsk } from './FleetCredentials.ts';
import { LatencySample } from './LatencySample.ts';
import type { LatencySummary } from './LatencySample.ts';

export interface PskHandshakeReport {
  readonly done: number;
  readonly failed: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latencyMs: LatencySummary;
  readonly firstFailure: string | undefined;
  /** This process's CPU time (user + system). */
  readonly clientCpuSeconds: number;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    devices: { type: 'string', default: '1000' },
    prefix: { type: 'string', default: 'fleet-' },
    'psk-seed': { type: 'string', default: 'lwm2m-hub-fleet' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
  },
});
const url = new URL(values.server ?? 'coaps://127.0.0.1:5684');
const server = { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port === '' ? 5684 : url.port) };
const devices = Number(values.devices);
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);

const latency = new LatencySample();
let next = 0;
let failed = 0;
let firstFailure: string | undefined;
const cpuBefore = process.cpuUsage();
process.stderr.write(`${JSON.stringify({ phase: 'handshaking', at: Date.now() })}\n`);
const started = performance.now();
const deadline = started + seconds * 1000;

async function loop(): Promise<void> {
  while (performance.now() < deadline) {
    const endpoint = endpointName(values.prefix, next++ % devices);
    const psk = lwm2mPsk(values['psk-seed'], endpoint);
    const handshakeStarted = performance.now();
    try {
      const channel = await openDtlsChannel(server, psk.identity, psk.key, HANDSHAKE_TIMEOUT_MS, () => undefined);
      latency.add(performance.now() - handshakeStarted);
      await channel.close();
    } catch (error) {
      failed++;
      firstFailure ??= `${endpoint}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, loop));
const elapsed = (performance.now() - started) / 1000;
process.stderr.write(`${JSON.stringify({ phase: 'done', at: Date.now() })}\n`);
const used = process.cpuUsage(cpuBefore);
const report: PskHandshakeReport = {
  done: latency.count,
  failed,
  seconds: Math.round(elapsed * 100) / 100,
  perSecond: Math.round(latency.count / elapsed),
  latencyMs: latency.summary(),
  firstFailure,
  clientCpuSeconds: Math.round((used.user + used.system) / 1e4) / 100,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
