/**
 * Registration benchmark: a simulated fleet in this process registers with the LwM2M server over
 * real UDP on loopback.
 *
 *   node bench/registration.bench.ts [devices]
 *   node bench/registration.bench.ts --fleet-sizes 10000,100000,300000,1000000
 *
 * The server is the production path: DatagramCoapEndpoint -> RegistrationService -> device directory
 * lookup (device stream) -> registration decider through the command runner, on the state the live
 * view of the registrations keeps (append without reading; the view sees the event through the log feed).
 * The fleet is 32 UDP sockets sending confirmable Register (then Update) requests built with our
 * codec, at most 512 in flight; each device's first Register, a second Register (replacing the first)
 * and a keep-alive Update are timed from send to ACK. Both run in this one process, so the fleet's
 * own CPU use counts against the server's figure; the CPU time per request (fleet and server together)
 * is reported as well, since the wall-clock rate depends on what else the machine runs.
 * At the end, the heap that the SQLite run's registrations keep is divided by their number.
 *
 * With `--fleet-sizes`, each size gets a fresh SQLite store: every device registers once (the fleet
 * grows to that size), then a sample of up to 100,000 of them registers again and updates, which is
 * the rate at that size; the heap per registered device is taken after that, and the figures of all
 * sizes are plotted to docs/bench/heap-per-device.svg.
 * Targets (2 cores): 5,000 registrations per second at 1,000,000 registered devices, 10,000 first
 * registrations per second; under 1 KiB of heap per registered idle device.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { cpus, tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryEventStore } from '../src/adapters/eventstore/MemoryEventStore.ts';
import { SqliteEventStore } from '../src/adapters/eventstore/SqliteEventStore.ts';
import type { EventStore } from '../src/adapters/eventstore/EventStore.ts';
import { openUdpCoapEndpoint } from '../src/adapters/coap/DatagramCoapEndpoint.ts';
import { RegistrationService } from '../src/app/registration/RegistrationService.ts';
import { AggregateCommandRunner } from '../src/app/kernel/AggregateCommandRunner.ts';
import { LogFeed } from '../src/app/kernel/LogFeed.ts';
import { EventStoreDeviceDirectory } from '../src/app/devices/DeviceDirectory.ts';
import { OptionNumber, stringOption, stringOptions, uintOptionOf } from '../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../src/adapters/coap/CoapMessageCodec.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import { systemClock } from '../src/domain/Clock.ts';
import { deviceStream } from '../src/domain/devices/DeviceEvents.ts';
import type { DeviceRegistrationImported } from '../src/domain/devices/DeviceEvents.ts';
import type { JsonValue } from '../src/domain/Json.ts';
import { testDeviceData } from '../test/support/TestDevices.ts';
import { renderLatencyChart } from './fleet/LatencyChart.ts';

const fleetSizesAt = process.argv.indexOf('--fleet-sizes');
const fleetSizes = fleetSizesAt < 0 ? undefined : (process.argv[fleetSizesAt + 1] ?? '').split(',').map(Number);
const devices = fleetSizes === undefined ? Number(process.argv[2] ?? 20_000) : Math.max(...fleetSizes);
/** At each fleet size, how many devices register again and update: the rate at that size. */
const sampleAtSize = 100_000;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const sockets = 32;
const window = 512;
/** Like a CoAP client (RFC 7252 section 4.2), the fleet retransmits an unacknowledged request. */
const ackTimeoutMs = 2_000;
const maxRetransmit = 4;
const links = new TextEncoder().encode('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>');
const endpointName = (index: number): string => `urn:imei:35486900${String(index).padStart(7, '0')}`;

interface PhaseResult {
  readonly phase: string;
  readonly done: number;
  readonly failed: number;
  readonly retransmissions: number;
  readonly seconds: number;
  /** Process CPU time (user + system, fleet and server together) per successful request. */
  readonly cpuMicrosPerRequest: number;
  readonly p50: number;
  readonly p99: number;
}

async function importFleet(store: EventStore, devices: number): Promise<void> {
  for (let start = 0; start < devices; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, devices - start) }, (_, offset) => {
        const endpoint = endpointName(start + offset);
        const data: DeviceRegistrationImported = { registration: testDeviceData(endpoint), importId: 'bench', line: start + offset + 2 };
        return store.appendToStream(deviceStream(endpoint), [{ type: 'DeviceRegistrationImported', data: data as unknown as JsonValue }], 'no_stream');
      }),
    );
  }
}

/**
 * Message ids, per fleet socket, go on across phases: the server remembers (peer, id) for
 * EXCHANGE_LIFETIME (RFC 7252 section 4.5), so an id must not come back within a run. Each socket
 * sends about 3 * devices / 32 requests per store, fewer than the 65,536 ids up to 300,000 devices
 * (with --fleet-sizes, devices + 2 * 100,000 / 32: up to 1,800,000 devices).
 */
const nextMessageId = new Array<number>(sockets).fill(0);

/** Sends one request per device through the fleet's sockets, `window` at a time; times each to its ACK. */
async function runPhase(phase: string, devices: number, fleet: Socket[], port: number, build: (index: number, messageId: number) => Uint8Array, onReply?: (index: number, reply: Uint8Array) => void): Promise<PhaseResult> {
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let failed = 0;
  let retransmissions = 0;
  const pending = new Map<string, { index: number; sentAt: number; timer: NodeJS.Timeout | undefined }>();
  // Each phase starts on a collected heap. Otherwise a major collection that the earlier phases made
  // due (of the whole heap, the memory store's log included) lands in whichever phase crosses V8's
  // limit, and bills that phase for it: a tree that kept less before the run crosses it sooner.
  collectGarbage();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const finishOne = (): void => {
      if (done + failed === devices) resolve();
      else sendMore();
    };
    const sendMore = (): void => {
      while (pending.size < window && next < devices) {
        const index = next++;
        const socketIndex = index % sockets;
        const messageId = (nextMessageId[socketIndex] = ((nextMessageId[socketIndex] ?? 0) + 1) & 0xffff);
        const key = `${socketIndex}|${messageId}`;
        const bytes = build(index, messageId);
        const transmit = (attempt: number): NodeJS.Timeout => {
          fleet[socketIndex]?.send(bytes, port, '127.0.0.1');
          return setTimeout(() => {
            const entry = pending.get(key);
            if (!entry) return;
            if (attempt < maxRetransmit) {
              retransmissions++;
              entry.timer = transmit(attempt + 1);
              return;
            }
            pending.delete(key);
            failed++;
            finishOne();
          }, ackTimeoutMs * 2 ** attempt);
        };
        const entry: { index: number; sentAt: number; timer: NodeJS.Timeout | undefined } = { index, sentAt: performance.now(), timer: undefined };
        pending.set(key, entry);
        entry.timer = transmit(0);
      }
    };
    fleet.forEach((socket, socketIndex) => {
      socket.removeAllListeners('message');
      socket.on('message', (bytes) => {
        const decoded = decodeCoapMessage(bytes);
        if (!decoded.ok) return;
        const key = `${socketIndex}|${decoded.message.messageId}`;
        const entry = pending.get(key);
        if (!entry) return;
        pending.delete(key);
        clearTimeout(entry.timer);
        if (decoded.message.code.startsWith('2.')) {
          latencies.push(performance.now() - entry.sentAt);
          done++;
          onReply?.(entry.index, bytes);
        } else failed++;
        finishOne();
      });
    });
    sendMore();
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMicrosPerRequest = (cpu.user + cpu.system) / Math.max(1, done);
  latencies.sort((a, b) => a - b);
  return { phase, done, failed, retransmissions, seconds, cpuMicrosPerRequest, p50: latencies[Math.floor(latencies.length / 2)] ?? 0, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

/**
 * Heap in use after a full garbage collection. A closed UDP socket's handle keeps it, and so the closed
 * endpoint with its duplicate detection's remembered replies (one per request of the last
 * EXCHANGE_LIFETIME, RFC 7252 section 4.8.2), reachable until libuv's close callback, a turn of the
 * event loop later: the wait lets them go, so that the figure is what the registrations keep.
 */
async function heapAfterGc(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs the phases and returns the heap bytes per registered device that remain once the endpoint and
 * the fleet are gone: the registration service's state and whatever the store keeps in memory.
 */
async function bench(storeName: string, store: EventStore, devices: number, report: (row: PhaseResult) => void, sample = devices): Promise<number> {
  await importFleet(store, devices);
  const baseline = await heapAfterGc();
  const feed = new LogFeed({ store });
  const service = await serveFleet(storeName, store, feed, devices, sample, report);
  const perDevice = ((await heapAfterGc()) - baseline) / Math.max(1, service.registrationCount);
  await service.close();
  await feed.close();
  return perDevice;
}

/** Every device registers once, then the first `sample` of them register again and update. */
async function serveFleet(storeName: string, store: EventStore, feed: LogFeed, devices: number, sample: number, report: (row: PhaseResult) => void): Promise<RegistrationService> {
  const endpoint = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger: silentLogger() });
  // As the service is wired (main.ts): the process's one command runner and log feed.
  const service = await RegistrationService.start({ store, runner: new AggregateCommandRunner({ store }), feed, directory: new EventStoreDeviceDirectory(store), clock: systemClock, logger: silentLogger(), expirySweepMs: 0 });
  endpoint.handle(service.handler('plain'));
  const fleet = await Promise.all(
    Array.from({ length: sockets }, async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.setRecvBufferSize(4 * 1024 * 1024);
      return socket;
    }),
  );
  const locations = new Array<string>(devices);
  const register = (index: number, messageId: number): Uint8Array =>
    encodeCoapMessage({
      type: 'CON',
      code: '0.02',
      messageId,
      token: Uint8Array.of(index & 0xff, (index >> 8) & 0xff, (index >> 16) & 0xff),
      options: [
        stringOption(OptionNumber.UriPath, 'rd'),
        uintOptionOf(OptionNumber.ContentFormat, 40),
        stringOption(OptionNumber.UriQuery, `ep=${endpointName(index)}`),
        stringOption(OptionNumber.UriQuery, 'lt=300'),
        stringOption(OptionNumber.UriQuery, 'lwm2m=1.1'),
        stringOption(OptionNumber.UriQuery, 'b=U'),
      ],
      payload: links,
    });
  const remember = (index: number, reply: Uint8Array): void => {
    const decoded = decodeCoapMessage(reply);
    if (decoded.ok) locations[index] = stringOptions(decoded.message.options, OptionNumber.LocationPath).join('/');
  };
  const update = (index: number, messageId: number): Uint8Array =>
    encodeCoapMessage({
      type: 'CON',
      code: '0.02',
      messageId,
      token: Uint8Array.of(index & 0xff, (index >> 8) & 0xff, (index >> 16) & 0xff),
      options: (locations[index] ?? 'rd/none').split('/').map((segment) => stringOption(OptionNumber.UriPath, segment)),
      payload: new Uint8Array(0),
    });
  report(await runPhase(`${storeName}: first Register`, devices, fleet, endpoint.local.port, register));
  report(await runPhase(`${storeName}: Register again (replaces)`, sample, fleet, endpoint.local.port, register, remember));
  report(await runPhase(`${storeName}: Update (keep-alive)`, sample, fleet, endpoint.local.port, update));
  for (const socket of fleet) socket.close();
  await endpoint.close();
  return service;
}

function printRow(row: PhaseResult): void {
  process.stdout.write(`| ${row.phase} | ${row.done} | ${row.failed} | ${row.retransmissions} | ${row.seconds.toFixed(2)} | ${Math.round(row.done / row.seconds)} | ${Math.round(row.cpuMicrosPerRequest)} | ${Math.round(1e6 / row.cpuMicrosPerRequest)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} |\n`);
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`;
const loadAverage = (): string => execSync('uptime').toString().replace(/.*load average: /, '').trim();

/** One SQLite store per fleet size; the heap per device and the rates at each size, plotted. */
async function benchFleetSizes(sizes: readonly number[], dir: string): Promise<void> {
  const rows: Array<{ readonly size: number; readonly perDevice: number; readonly phases: PhaseResult[] }> = [];
  for (const size of sizes) {
    const phases: PhaseResult[] = [];
    const store = await SqliteEventStore.open(join(dir, `events-${size}.sqlite`));
    const perDevice = await bench(`sqlite, ${size} devices`, store, size, (row) => {
      phases.push(row);
      printRow(row);
    }, Math.min(size, sampleAtSize));
    await store.close();
    rows.push({ size, perDevice, phases });
    process.stdout.write(`| heap per registered device at ${size}: ${Math.round(perDevice)} bytes (load average ${loadAverage()}) |\n`);
  }
  const rate = (phase: PhaseResult | undefined): string => (phase === undefined ? '?' : Math.round(phase.done / phase.seconds).toLocaleString('en'));
  const svg = renderLatencyChart({
    title: 'Heap per registered device against fleet size (SQLite store)',
    caption: `${new Date().toISOString().slice(0, 16)} UTC, ${cpus().length} cores, Node ${process.version}, load ${loadAverage().split(',')[0] ?? '?'}; above: Register again /s`,
    xLabel: 'registered devices',
    yLabel: 'bytes of heap per registered device',
    yScale: 'linear',
    xScale: 'log',
    series: [
      { name: 'heap per device', colour: '#1f77b4', points: rows.map((row) => ({ x: row.size, y: row.perDevice })) },
      { name: 'target (1 KiB)', colour: '#d62728', points: rows.map((row) => ({ x: row.size, y: 1024 })) },
    ],
    notes: rows.map((row) => ({ x: row.size, text: rate(row.phases[1]) })),
  });
  const file = join(import.meta.dirname, '..', 'docs', 'bench', 'heap-per-device.svg');
  writeFileSync(file, svg);
  process.stdout.write(`\nPlot: ${file}\n`);
}

process.stdout.write(`Registration benchmark: ${fleetSizes === undefined ? devices : fleetSizes.join(', ')} devices, ${sockets} client sockets, ${window} in flight; ${machine}; load average ${loadAverage()}\n\n`);
process.stdout.write('| phase | ok | failed | retransmissions | seconds | per second | CPU µs each | per CPU second | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n');
const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-registration-'));
try {
  // Warm-up (not reported): lets the JIT compile the hot paths before anything is measured.
  await bench('warm-up', new MemoryEventStore(), Math.min(devices, 3_000), () => undefined);
  if (fleetSizes !== undefined) await benchFleetSizes(fleetSizes, dir);
  else {
    await bench('memory', new MemoryEventStore(), devices, printRow);
    const sqlite = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    const perDevice = await bench('sqlite', sqlite, devices, printRow);
    await sqlite.close();
    process.stdout.write('\nTarget: 5,000 registrations per second on 2 cores.\n');
    process.stdout.write(`\nHeap per registered device (SQLite store, ${devices} registrations, endpoint and fleet closed): ${Math.round(perDevice)} bytes. Target: under 1 KiB.\n`);
  }
  process.stdout.write(`\nLoad average at the end: ${loadAverage()}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
