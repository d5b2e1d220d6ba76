/**
 * DTLS 1.2 PSK handshakes through the service's real key lookup, server and client as separate processes:
 *
 *   node bench/psk-handshakes.bench.ts [devices] [seconds per run] [handshakes in flight] [source addresses]
 *
 * `lwm2m-hub serve` runs on a temp data directory (embedded SQLite store) with [devices] PSK devices
 * imported from CSV through it, so that each handshake's key lookup is the service's own: the device
 * bound to the PSK identity, then its sealed key opened (AES-256-GCM). The client is mbedTLS in C
 * (test/peers/mbedtls_psk_handshake_load.c, built by test/peers/build.sh; independent of the server's
 * DTLS code) in a process of its own: complete handshakes (cookie exchange, TLS_PSK_WITH_AES_128_CCM_8,
 * Finished both ways), each from a new socket with the next device's identity and key, round robin over
 * the fleet, then close_notify; [handshakes in flight] at once (default 64) spread over [source
 * addresses] loopback addresses (default 8, 127.0.0.1 to 127.0.0.8), since the server allows 16
 * handshakes in progress per source address. The server's CPU time (all its threads, /proc/PID/stat)
 * over the run is divided by the handshakes. The yardstick, in the same run and with the same client:
 * the DTLS server alone (bench/fleet/BareDtlsServer.ts, its lookup an in-memory map), then each of them
 * once more in the opposite order, so that a change in the machine's load shows as a difference between
 * rounds. SERVER_NODE_OPTIONS is both servers' NODE_OPTIONS (`--cpu-prof --cpu-prof-dir=DIR` profiles them).
 * Target (2 cores): 3,000 handshakes per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { processCpuSeconds, runPskHandshakeLoad, startBareDtlsServer } from './fleet/FleetBenchmarkProcesses.ts';
import type { PskHandshakeReport } from './fleet/FleetBenchmarkProcesses.ts';
import { importFleet, startHubUnderTest } from './fleet/HubUnderTest.ts';

const devices = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 15);
const concurrency = Number(process.argv[4] ?? 64);
const sources = Number(process.argv[5] ?? 8);
const prefix = 'bench-psk-';
const seed = 'bench';
const serverNodeOptions = process.env['SERVER_NODE_OPTIONS'];
const format = (value: number, digits = 0): string => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Runs the client against `port` and counts `pid`'s CPU seconds from its first handshake to its last. */
async function handshakes(port: number, pid: number): Promise<{ report: PskHandshakeReport; serverCpuSeconds: number; load: number }> {
  let start = 0;
  let end = 0;
  const loadBefore = loadavg()[0] ?? 0;
  const report = await runPskHandshakeLoad(
    ['--server', '127.0.0.1', String(port), '--devices', String(devices), '--prefix', prefix, '--psk-seed', seed, '--concurrency', String(concurrency), '--seconds', String(seconds), '--sources', String(sources)],
    (phase) => {
      if (phase === 'handshaking') start = processCpuSeconds(pid);
      else end = processCpuSeconds(pid);
    },
  );
  return { report, serverCpuSeconds: end - start, load: (loadBefore + (loadavg()[0] ?? 0)) / 2 };
}

function row(name: string, run: { report: PskHandshakeReport; serverCpuSeconds: number; load: number }): void {
  const r = run.report;
  process.stdout.write(
    `| ${name} | ${format(r.done)} | ${format(r.failed)} | ${format(r.perSecond)} | ${format(r.latencyMs.p50, 1)} | ${format(r.latencyMs.p99, 1)} | ${format((run.serverCpuSeconds * 1e6) / Math.max(1, r.done))} | ${format((run.serverCpuSeconds / r.seconds) * 100)} % | ${format((r.clientCpuSeconds * 1e6) / Math.max(1, r.done))} | ${format(run.load, 1)} |\n`,
  );
  if (r.firstFailure !== undefined) process.stdout.write(`(first failure: ${r.firstFailure})\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-psk-handshakes-'));
const dataDir = join(dir, 'data');
process.stdout.write(
  `PSK handshakes: ${format(devices)} devices, ${concurrency} handshakes in flight from ${sources} source addresses, ${seconds} s per run; mbedTLS client and server as separate processes; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${new Date().toISOString()}; load ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n\n`,
);
const serverEnv = serverNodeOptions === undefined ? {} : { NODE_OPTIONS: serverNodeOptions };
const hub = await startHubUnderTest(dataDir, false, serverEnv);
const bare = await startBareDtlsServer(['--devices', String(devices), '--prefix', prefix, '--psk-seed', seed], serverEnv);
try {
  await importFleet(dataDir, { devices, prefix, serverUri: `coaps://127.0.0.1:${hub.serve.coapsPort}`, security: 'PSK', seed, lifetime: 3600, binding: 'U' });
  process.stdout.write(
    '| server | handshakes | failed | handshakes /s | p50 ms | p99 ms | server CPU µs per handshake | server CPU share of a core | client CPU µs per handshake | load (1 min) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n',
  );
  const service = 'lwm2m-hub serve (the real key lookup)';
  const alone = 'DTLS server alone (lookup from a map)';
  row(service, await handshakes(hub.serve.coapsPort, hub.pid));
  row(alone, await handshakes(bare.port, bare.pid));
  row(alone, await handshakes(bare.port, bare.pid));
  row(service, await handshakes(hub.serve.coapsPort, hub.pid));
  process.stdout.write(`\nEnded ${new Date().toISOString()}; load ${loadavg().map((value) => value.toFixed(2)).join(' ')}\nTarget: 3,000 PSK handshakes per second.\n`);
} finally {
  await bare.stop();
  hub.serve.child.kill('SIGTERM');
  await hub.serve.exited;
  rmSync(dir, { recursive: true, force: true });
}
