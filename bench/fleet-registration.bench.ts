/**
 * Registrations, with the server and the fleet as separate processes:
 *
 *   node bench/fleet-registration.bench.ts [devices] [PSK devices]
 *
 * `lwm2m-hub serve` runs on a temp data directory (embedded SQLite store, durable) with no device
 * protocol, so that a registration is only a registration (no observe follows); the fleet's CSV is
 * imported through it. The fleet simulator (bench/fleet) then registers every device (confirmable
 * POST /rd, at most 512 in flight), twice: first registrations, then registrations that replace them.
 * The devices share 1,000 UDP sockets, since the machine allows 20,000 open files per process. The
 * server's CPU time (all threads, /proc/PID/stat) over the registering phase and 5 idle seconds after it
 * (the read models' part of the work) is divided by the registrations. Then a smaller fleet registers over DTLS with PSK (node-dtls-client, one socket and
 * handshake per device, at most 16 at once: the server's limit of handshakes in progress per address): the handshakes go through the server's real key lookup.
 * The handshake alone, beside the DTLS server alone, is bench/psk-handshakes.bench.ts.
 * The yardstick, in the same run: the bare `node:dgram` receiver answering 2.01 to the same simulator.
 * Target (2 cores): 10,000 first registrations per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetPhase, FleetReport } from './fleet/Fleet.ts';
import { processCpuSeconds, runSimulator, startBareReceiver } from './fleet/FleetBenchmarkProcesses.ts';
import { importFleet, startHubUnderTest } from './fleet/HubUnderTest.ts';

const devices = Number(process.argv[2] ?? 20_000);
const pskDevices = Number(process.argv[3] ?? 1_000);
const sockets = Math.min(1_000, devices);
const format = (value: number, digits = 0): string => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const load = (): number => loadavg()[0] ?? 0;

/**
 * Runs the simulator and measures `pid`'s CPU seconds from the start of registering to the end of 5
 * idle seconds after it, so that work the server does after its ACKs (read models) is counted too.
 */
async function registerFleet(pid: number, args: readonly string[]): Promise<{ report: FleetReport; cpuSeconds: number; load: number }> {
  let start = 0;
  let end = 0;
  const loadBefore = load();
  const onPhase = (phase: FleetPhase): void => {
    if (phase === 'registering') start = processCpuSeconds(pid);
    if (phase === 'done') end = processCpuSeconds(pid);
  };
  const report = await runSimulator([...args, '--rate', '0', '--duration', '5', '--update-interval', '0', '--lifetime', '3600'], onPhase);
  return { report, cpuSeconds: end - start, load: (loadBefore + load()) / 2 };
}

function print(name: string, run: { report: FleetReport; cpuSeconds: number; load: number }): void {
  const r = run.report.registrations;
  process.stdout.write(
    `| ${name} | ${format(r.done)} | ${format(r.failed)} | ${format(r.retransmissions)} | ${format(r.perSecond)} | ${format(r.latencyMs.p50, 1)} | ${format(r.latencyMs.p99, 1)} | ${format((run.cpuSeconds * 1e6) / Math.max(1, r.done), 1)} | ${format(run.load, 1)} |\n`,
  );
  if (r.firstFailure !== undefined) process.stdout.write(`(first failure: ${r.firstFailure})\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-fleet-registration-'));
const dataDir = join(dir, 'data');
process.stdout.write(`Fleet registration benchmark: ${devices} devices over ${sockets} sockets, then ${pskDevices} over DTLS PSK; server and fleet as separate processes; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${new Date().toISOString()}\n\n`);
const hub = await startHubUnderTest(dataDir, false);
try {
  const server = `coap://127.0.0.1:${hub.serve.coapPort}`;
  const secureServer = `coaps://127.0.0.1:${hub.serve.coapsPort}`;
  await importFleet(dataDir, { devices, prefix: 'bench-reg-', serverUri: server, security: 'NO_SEC', seed: 'bench', lifetime: 3600, binding: 'U' });
  const plain = ['--server', server, '--devices', String(devices), '--prefix', 'bench-reg-', '--sockets', String(sockets), '--concurrency', '512'];
  process.stdout.write('| receiver | registered | failed | retransmissions | registrations /s | p50 ms | p99 ms | receiver CPU µs per registration | load (1 min) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n');
  print('lwm2m-hub, first registrations', await registerFleet(hub.pid, plain));
  print('lwm2m-hub, registrations replacing them', await registerFleet(hub.pid, plain));
  const receiver = await startBareReceiver(false);
  const bareArguments = ['--server', `coap://127.0.0.1:${receiver.port}`, ...plain.slice(2)];
  print('bare node:dgram', await registerFleet(receiver.pid, bareArguments));
  await receiver.stop();

  if (pskDevices > 0) {
    await importFleet(dataDir, { devices: pskDevices, prefix: 'bench-psk-', serverUri: secureServer, security: 'PSK', seed: 'bench', lifetime: 3600, binding: 'U' });
    const psk = await registerFleet(hub.pid, ['--server', secureServer, '--devices', String(pskDevices), '--prefix', 'bench-psk-', '--psk-seed', 'bench', '--concurrency', '16']);
    print('lwm2m-hub, DTLS PSK handshake + first registration', psk);
    const handshakes = psk.report.handshakes;
    if (handshakes !== undefined) {
      process.stdout.write(
        `\nDTLS PSK: ${format(handshakes.done)} handshakes (${format(handshakes.failed)} failed), ${format(handshakes.done / psk.report.registrations.seconds)}/s with registration, handshake p50 ${format(handshakes.latencyMs.p50, 1)} ms, p99 ${format(handshakes.latencyMs.p99, 1)} ms; the fleet's own CPU ${format(psk.report.fleetCpuSeconds, 1)} s (node-dtls-client).\n`,
      );
    }
  }
  process.stdout.write('\nTarget: 10,000 first registrations per second (PSK handshakes alone: bench/psk-handshakes.bench.ts).\n');
} finally {
  hub.serve.child.kill('SIGTERM');
  await hub.serve.exited;
  rmSync(dir, { recursive: true, force: true });
}
