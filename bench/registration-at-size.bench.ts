/**
 * Registrations per second with many devices already registered: the server in this process's main
 * thread, the fleet on a worker thread of its own (bench/fleet/RegistrationFleetThread.ts), so that the
 * server's CPU per request is the process's less the fleet thread's, and `node --cpu-prof` profiles the
 * server alone (the worker's profile is a file of its own).
 *
 *   node bench/registration-at-size.bench.ts [sizes, default 10000,1000000] [requests per phase, default 50000] [rounds, default 2]
 *
 * For each size, a fresh SQLite store: the devices are imported (one `device-<endpoint>` stream each,
 * as the CSV import writes them) and every one registers once through the registration service's own
 * handler (the production path, less the UDP hop: that is what makes a million registrations cheap to
 * build). Then the fleet registers again and updates over real UDP on loopback, `requests` of each a
 * round, its devices spread over the whole fleet, at most 512 in flight from 32 sockets. Per phase:
 * the rate, the process's, the fleet's and the server's CPU per request (the server's split into its
 * main thread, the event store's writer thread and V8's helper threads, from /proc), the main thread's garbage
 * collection (pause time and count, from `PerformanceObserver` 'gc' entries) and the latencies; per
 * size, the heap per registered device after the seeding.
 * Targets (2 cores): 5,000 registrations per second at 1,000,000 registered devices; under 1 KiB of
 * heap per registered device.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openUdpCoapEndpoint } from '../src/adapters/coap/DatagramCoapEndpoint.ts';
import type { CoapRequestHandler } from '../src/adapters/coap/CoapEndpoint.ts';
import type { EventStore } from '../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import { EventStoreDeviceDirectory } from '../src/app/devices/DeviceDirectory.ts';
import { AggregateCommandRunner } from '../src/app/kernel/AggregateCommandRunner.ts';
import { LogFeed } from '../src/app/kernel/LogFeed.ts';
import { RegistrationService } from '../src/app/registration/RegistrationService.ts';
import { systemClock } from '../src/domain/Clock.ts';
import type { DeviceRegistrationImported } from '../src/domain/devices/DeviceEvents.ts';
import { deviceStream } from '../src/domain/devices/DeviceEvents.ts';
import type { JsonValue } from '../src/domain/Json.ts';
import { testDeviceData } from '../test/support/TestDevices.ts';
import type { FleetPhaseResult } from './fleet/RegistrationFleetThread.ts';
import { fleetEndpointName, RegistrationFleetThread } from './fleet/RegistrationFleetThread.ts';

const sizes = (process.argv[2] ?? '10000,1000000').split(',').map(Number);
const requestsPerPhase = Number(process.argv[3] ?? 50_000);
const rounds = Number(process.argv[4] ?? 2);
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const links = new TextEncoder().encode('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>');
const loadAverage = (): string => execSync('uptime').toString().replace(/.*load average: /, '').trim();

/** The main thread's garbage collection since the last `take`: pause milliseconds and counts by kind. */
class CollectorTally {
  #pauseMs = 0;
  #minor = 0;
  #major = 0;
  readonly #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      this.#pauseMs += entry.duration;
      // perf_hooks constants: NODE_PERFORMANCE_GC_MINOR = 1 (scavenge), the others are mark-compact or its increments.
      const detail = 'detail' in entry ? (entry.detail as { readonly kind?: number } | undefined) : undefined;
      if (detail?.kind === 1) this.#minor++;
      else this.#major++;
    }
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  take(): { readonly pauseMs: number; readonly minor: number; readonly major: number } {
    const taken = { pauseMs: this.#pauseMs, minor: this.#minor, major: this.#major };
    this.#pauseMs = 0;
    this.#minor = 0;
    this.#major = 0;
    return taken;
  }

  close(): void {
    this.#observer.disconnect();
  }
}

async function heapAfterGc(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Many appends in flight at once, so that the store's group commit writes them in large batches. */
async function importDevices(store: EventStore, devices: number): Promise<void> {
  for (let start = 0; start < devices; start += 5_000) {
    await Promise.all(
      Array.from({ length: Math.min(5_000, devices - start) }, (_, offset) => {
        const endpoint = fleetEndpointName(start + offset);
        const data: DeviceRegistrationImported = { registration: testDeviceData(endpoint), importId: 'bench', line: start + offset + 2 };
        return store.appendToStream(deviceStream(endpoint), [{ type: 'DeviceRegistrationImported', data: data as unknown as JsonValue }], 'no_stream');
      }),
    );
  }
}

/** Every device registers once through the service's handler: the production path less the UDP hop. */
async function registerEvery(handle: CoapRequestHandler, devices: number): Promise<void> {
  const inFlight = 2_000;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < devices) {
      const index = next++;
      await handle({
        peer: { address: '127.0.0.1', port: 1_024 + (index % 60_000) },
        method: 'POST',
        path: ['rd'],
        query: [`ep=${fleetEndpointName(index)}`, 'lt=300', 'lwm2m=1.1', 'b=U'],
        contentFormat: 40,
        accept: undefined,
        observe: undefined,
        payload: links,
        options: [],
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

const number = (value: number, digits = 0): string => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * CPU microseconds of this process's threads so far, summed by thread name (proc(5): /proc/self/task/TID/stat
 * fields 14 and 15, in clock ticks of 10 ms): 'WorkerThread' are the worker threads (the event store's
 * writer and the fleet), 'V8Worker' V8's helpers (parallel and concurrent garbage collection, compilers).
 */
function threadCpuByName(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return byName;
}
const clockTicks = Number(execSync('getconf CLK_TCK').toString().trim());

interface PhaseCpu {
  readonly process: number;
  readonly mainThread: number;
  /** Worker threads (the event store's writer and the fleet) and V8's helper threads, from /proc. */
  readonly workerThreads: number;
  readonly v8Helpers: number;
}

function printRow(size: number, phase: string, result: FleetPhaseResult, cpuMicros: PhaseCpu, collector: ReturnType<CollectorTally['take']>): void {
  const perRequest = (micros: number): string => number(micros / Math.max(1, result.done));
  const server = cpuMicros.process - result.fleetCpuMicros;
  process.stdout.write(
    `| ${number(size)} | ${phase} | ${number(result.done)} | ${number(result.failed)} (${number(result.retransmissions)}) | ${number(result.done / result.seconds)} | ${perRequest(cpuMicros.process)} | ${perRequest(result.fleetCpuMicros)} | ${perRequest(server)} | ${perRequest(cpuMicros.mainThread)} | ${perRequest(cpuMicros.workerThreads - result.fleetCpuMicros)} | ${perRequest(cpuMicros.v8Helpers)} | ${number((collector.pauseMs * 1000) / Math.max(1, result.done), 1)} (${collector.minor}/${collector.major}) | ${number(result.p50, 1)} | ${number(result.p99, 1)} |\n`,
  );
}

async function benchSize(size: number, dir: string, collector: CollectorTally): Promise<void> {
  const store = await SqliteEventStore.open(join(dir, `events-${size}.sqlite`));
  let started = performance.now();
  await importDevices(store, size);
  const imported = (performance.now() - started) / 1000;
  const baseline = await heapAfterGc();
  const feed = new LogFeed({ store });
  const service = await RegistrationService.start({
    store,
    runner: new AggregateCommandRunner({ store }),
    feed,
    directory: new EventStoreDeviceDirectory(store, feed),
    clock: systemClock,
    logger: silentLogger(),
    expirySweepMs: 0,
  });
  started = performance.now();
  const handler = service.handler('plain');
  await registerEvery(handler, size);
  const seeded = (performance.now() - started) / 1000;
  const perDevice = ((await heapAfterGc()) - baseline) / Math.max(1, service.registrationCount);
  process.stdout.write(
    `| ${number(size)} | (built: ${number(size)} imported in ${number(imported, 1)} s, ${number(service.registrationCount)} registered through the handler in ${number(seeded, 1)} s; heap ${number(perDevice)} B per registered device; load ${loadAverage()}) | | | | | | | | | | | |\n`,
  );
  const endpoint = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger: silentLogger() });
  endpoint.handle(handler);
  const fleet = await RegistrationFleetThread.start({ port: endpoint.local.port, sockets: 32, window: 512 });
  for (let round = 1; round <= rounds; round++) {
    for (const [kind, name] of [['register', 'Register again'], ['update', 'Update']] as const) {
      collector.take();
      const cpuBefore = process.cpuUsage();
      const mainThreadBefore = process.threadCpuUsage();
      const threadsBefore = threadCpuByName();
      const from = process.hrtime.bigint() / 1000n;
      const result = await fleet.run({ kind, devices: size, requests: requestsPerPhase });
      const cpu = process.cpuUsage(cpuBefore);
      const mainThread = process.threadCpuUsage(mainThreadBefore);
      const threads = threadCpuByName();
      const threadDelta = (name: string): number => (threads.get(name) ?? 0) - (threadsBefore.get(name) ?? 0);
      // The phase's window on the monotonic clock in µs, as a --cpu-prof profile's timestamps are, to cut the profile by phase.
      process.stderr.write(`${JSON.stringify({ size, phase: `${name}, round ${round}`, fromMicros: Number(from), toMicros: Number(process.hrtime.bigint() / 1000n) })}\n`);
      printRow(size, `${name}, round ${round}`, result, { process: cpu.user + cpu.system, mainThread: mainThread.user + mainThread.system, workerThreads: threadDelta('WorkerThread'), v8Helpers: threadDelta('V8Worker') }, collector.take());
    }
  }
  await fleet.close();
  await endpoint.close();
  await service.close();
  await feed.close();
  await store.close();
}

process.stdout.write(
  `Registrations at fleet size: sizes ${sizes.map((size) => number(size)).join(', ')}; ${number(requestsPerPhase)} requests a phase, ${rounds} rounds; fleet on a worker thread (32 sockets, 512 in flight); ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; flags: ${process.execArgv.join(' ') || 'none'}; ${new Date().toISOString()}; load average ${loadAverage()}\n\n`,
);
process.stdout.write(
  '| registered | phase | ok | failed (retransmissions) | per second | process CPU µs each | fleet thread µs | server µs | server main thread µs | event store writer thread µs | V8 helper threads (GC, compilers) µs | main-thread GC pause µs each (minor/major collections) | p50 ms | p99 ms |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n',
);
const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-registration-at-size-'));
const collector = new CollectorTally();
try {
  for (const size of sizes) await benchSize(size, dir, collector);
  process.stdout.write(`\nLoad average at the end: ${loadAverage()}\n`);
} finally {
  collector.close();
  rmSync(dir, { recursive: true, force: true });
}
