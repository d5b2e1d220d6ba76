/**
 * Notifications end to end, with the server and the fleet as separate processes:
 *
 *   node bench/fleet-notifications.bench.ts [devices] [seconds per rate] [rate,rate,...]
 *
 * `lwm2m-hub serve` runs on a temp data directory (embedded SQLite store, durable), with the IPSO
 * Temperature protocol imported, Send measurement and Auto-observe on /3303/0/5700, and the fleet's
 * CSV imported through it. The fleet simulator (bench/fleet) runs as another process: its devices
 * register, are observed by the server, and send non-confirmable text/plain notifications at each
 * offered rate; a GraphQL subscriber in the simulator's process subscribes to `resourceValues` of every
 * device, so latency is from the device's send to the subscriber's receipt (CoAP in, event durable,
 * read models committed, subscriber told). The server's CPU time (all its threads, /proc/PID/stat)
 * from the start of notifying to the end of the drain is divided by the values received.
 * The yardstick, in the same run: the bare `node:dgram` receiver (bench/fleet/BareDatagramReceiver.ts)
 * fed by the same simulator with the same arguments, then at a rate above what the simulator can send.
 * Writes docs/bench/notifications-latency.svg: latency percentiles against offered rate.
 * Target (2 cores): 30,000 notifications per second with p99 under 50 ms and nothing lost.
 * SERVER_NODE_OPTIONS is the server's NODE_OPTIONS: `SERVER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof"`
 * profiles the server alone (its profile is written when it stops at the end of the run).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FleetReport } from './fleet/Fleet.ts';
import { runSimulator, startBareReceiver } from './fleet/FleetBenchmarkProcesses.ts';
import { importFleet, startHubUnderTest } from './fleet/HubUnderTest.ts';
import { renderLatencyChart } from './fleet/LatencyChart.ts';
import { cpuWatcher, storedNotificationValues } from './fleet/ServerMeasures.ts';

const devices = Number(process.argv[2] ?? 500);
const secondsPerRate = Number(process.argv[3] ?? 20);
const rates = (process.argv[4] ?? '2000,5000,10000,20000').split(',').map(Number);
/** Above what one simulator process sends: the yardstick's ceiling is then the pair's. */
const yardstickCeilingRate = 200_000;
const prefix = 'bench-notify-';
const chartFile = new URL('../docs/bench/notifications-latency.svg', import.meta.url).pathname;

interface Row {
  readonly offered: number;
  /** Values the server stored in the run (its lwm2m_hub_reported_values_total), when it is the receiver. */
  readonly stored: number | undefined;
  readonly report: FleetReport;
  readonly received: number;
  readonly receivedPerSecond: number;
  readonly cpuMicrosPerValue: number;
  /** The receiver's CPU seconds by thread name, busiest first. */
  readonly threads: ReadonlyArray<readonly [string, number]>;
  readonly load: number;
}

const fleetArguments = (server: string, rate: number): string[] => ['--server', server, '--devices', String(devices), '--prefix', prefix, '--rate', String(rate), '--duration', String(secondsPerRate), '--update-interval', '0', '--drain', '15'];

const format = (value: number, digits = 0): string => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const load = (): number => loadavg()[0] ?? 0;

const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-fleet-'));
const dataDir = join(dir, 'data');
const started = new Date();
process.stdout.write(`Fleet notifications benchmark: ${devices} devices, ${secondsPerRate} s per offered rate; server and fleet as separate processes; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${started.toISOString()}\n\n`);
const serverNodeOptions = process.env['SERVER_NODE_OPTIONS'];
const hub = await startHubUnderTest(dataDir, true, serverNodeOptions === undefined ? {} : { NODE_OPTIONS: serverNodeOptions });
try {
  const server = `coap://127.0.0.1:${hub.serve.coapPort}`;
  await importFleet(dataDir, { devices, prefix, serverUri: server, security: 'NO_SEC', seed: 'bench', lifetime: 3600, binding: 'U' });
  const serverRows: Row[] = [];
  const bareRows: Row[] = [];
  process.stdout.write('| receiver | offered /s | sent /s | stored by the server | received /s | lost | p50 ms | p90 ms | p99 ms | max ms | receiver CPU µs per notification | fleet CPU s | load (1 min) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n');
  const print = (name: string, row: Row, latency: boolean): void => {
    const sent = row.report.notifications.sent;
    const lost = sent === 0 ? 0 : (sent - row.received) / sent;
    const l = row.report.subscriber?.latencyMs;
    const cells = latency && l !== undefined ? [l.p50, l.p90, l.p99, l.max].map((value) => format(value, 1)) : ['', '', '', ''];
    process.stdout.write(
      `| ${name} | ${format(row.offered)} | ${format(row.report.notifications.sentPerSecond)} | ${row.stored === undefined ? '' : `${format((row.stored / Math.max(1, sent)) * 100, 1)} %`} | ${format(row.receivedPerSecond)} | ${format(lost * 100, 1)} % | ${cells.join(' | ')} | ${format(row.cpuMicrosPerValue, 1)} | ${format(row.report.fleetCpuSeconds, 1)} | ${format(row.load, 1)} |\n`,
    );
  };
  // Warm-up, not reported: the first registrations, auto-observes and the JIT would count against the first rate.
  await runSimulator(['--server', server, '--devices', String(devices), '--prefix', prefix, '--rate', '1000', '--duration', '5', '--update-interval', '0', '--drain', '15']);
  for (const rate of rates) {
    const cpu = cpuWatcher(hub.pid);
    const loadBefore = load();
    const storedBefore = await storedNotificationValues(hub.serve.graphqlUrl, hub.token);
    const report = await runSimulator([...fleetArguments(server, rate), '--graphql', hub.serve.graphqlUrl, '--token', hub.token], cpu.onPhase);
    if (report.observations.active < devices) process.stdout.write(`(only ${report.observations.active} of ${devices} devices observed)\n`);
    const subscriber = report.subscriber;
    const received = subscriber?.received ?? 0;
    const stored = (await storedNotificationValues(hub.serve.graphqlUrl, hub.token)) - storedBefore;
    const row: Row = { offered: rate, stored, report, received, receivedPerSecond: subscriber?.perSecond ?? 0, cpuMicrosPerValue: (cpu.seconds() * 1e6) / Math.max(1, received), threads: cpu.threads(), load: (loadBefore + load()) / 2 };
    serverRows.push(row);
    print('lwm2m-hub', row, true);
    bareRows.push(await yardstick(rate));
    print('bare node:dgram', bareRows.at(-1) as Row, false);
  }
  // Confirmable notifications at the second rate, without a subscriber: latency to the server's ACK.
  const confirmableRate = rates[Math.min(1, rates.length - 1)] ?? 5_000;
  const cpu = cpuWatcher(hub.pid);
  const loadBefore = load();
  const confirmable = await runSimulator([...fleetArguments(server, confirmableRate), '--confirmable'], cpu.onPhase);
  const c = confirmable.notifications;
  const confirmableThreads = cpu.threads();
  process.stdout.write(
    `| lwm2m-hub, CON, latency to its ACK | ${format(confirmableRate)} | ${format(c.sentPerSecond)} |  | ${format(c.acknowledged / c.seconds)} | ${format(((c.sent - c.acknowledged) / Math.max(1, c.sent)) * 100, 1)} % | ${[c.ackLatencyMs.p50, c.ackLatencyMs.p90, c.ackLatencyMs.p99, c.ackLatencyMs.max].map((value) => format(value, 1)).join(' | ')} | ${format((cpu.seconds() * 1e6) / Math.max(1, c.acknowledged), 1)} | ${format(confirmable.fleetCpuSeconds, 1)} | ${format((loadBefore + load()) / 2, 1)} |\n`,
  );
  const ceiling = await yardstick(yardstickCeilingRate);
  print('bare node:dgram (as fast as the fleet sends)', ceiling, false);

  const best = Math.max(...serverRows.map((row) => (row.received === row.report.notifications.sent ? row.receivedPerSecond : 0)));
  process.stdout.write(
    `\nHighest rate received with nothing lost: ${format(best)}/s; the bare receiver took ${format(ceiling.receivedPerSecond)}/s from the same simulator (ratio ${format(best / Math.max(1, ceiling.receivedPerSecond), 3)}).\n`,
  );
  process.stdout.write('Target: 30,000 notifications per second with p99 under 50 ms and nothing lost; ratio to the bare receiver >= 0.25.\n');

  // Which thread the server's CPU goes to: its main thread (CoAP, services, read models, GraphQL),
  // the store's writer thread, V8's helper threads (garbage collection, compilation). The ratio is
  // the bare receiver's CPU per notification to the server's at the same offered rate.
  process.stdout.write('\n| receiver | offered /s | CPU µs per notification | by thread (µs per notification) | CPU ratio, bare to server |\n|---|---:|---:|---|---:|\n');
  const byThread = (threads: ReadonlyArray<readonly [string, number]>, notifications: number): string =>
    threads
      .filter(([, seconds]) => seconds > 0)
      .map(([name, seconds]) => `${name} ${format((seconds * 1e6) / Math.max(1, notifications), 1)}`)
      .join(', ');
  serverRows.forEach((row, index) => {
    const bare = bareRows[index];
    process.stdout.write(
      `| lwm2m-hub | ${format(row.offered)} | ${format(row.cpuMicrosPerValue, 1)} | ${byThread(row.threads, row.received)} | ${bare === undefined ? '' : format(bare.cpuMicrosPerValue / Math.max(1e-9, row.cpuMicrosPerValue), 3)} |\n`,
    );
  });
  process.stdout.write(`| lwm2m-hub, CON | ${format(confirmableRate)} | ${format((cpu.seconds() * 1e6) / Math.max(1, c.acknowledged), 1)} | ${byThread(confirmableThreads, c.acknowledged)} |  |\n`);

  const loads = serverRows.map((row) => row.load);
  mkdirSync(dirname(chartFile), { recursive: true });
  writeFileSync(
    chartFile,
    renderLatencyChart({
      title: 'lwm2m-hub: notification latency, device send to GraphQL subscriber',
      caption: `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores shared with other jobs (load ${format(Math.min(...loads), 1)}-${format(Math.max(...loads), 1)}), ${devices} devices, ${secondsPerRate} s per rate, NON, SQLite store`,
      xLabel: 'offered notifications per second',
      yLabel: 'latency (ms, log scale)',
      series: (['p50', 'p90', 'p99', 'max'] as const).map((key, index) => ({
        name: key,
        colour: ['#1b9e77', '#7570b3', '#d95f02', '#999999'][index] ?? '#000',
        points: serverRows.map((row) => ({ x: row.offered, y: row.report.subscriber?.latencyMs[key] ?? 0 })),
      })),
      notes: serverRows.map((row) => ({ x: row.offered, text: `${format((row.received / Math.max(1, row.report.notifications.sent)) * 100)} % heard` })),
    }),
  );
  process.stdout.write(`Chart: ${chartFile}\n`);
} finally {
  hub.serve.child.kill('SIGTERM');
  await hub.serve.exited;
  rmSync(dir, { recursive: true, force: true });
}

/** The same simulator, same arguments, against the bare receiver. */
async function yardstick(rate: number): Promise<Row> {
  const receiver = await startBareReceiver(true);
  const cpu = cpuWatcher(receiver.pid);
  const loadBefore = load();
  const report = await runSimulator([...fleetArguments(`coap://127.0.0.1:${receiver.port}`, rate), '--drain', '1'], cpu.onPhase);
  const counts = await receiver.stop();
  // Notifications the receiver counted: all arrive within the notifying time (it keeps up or drops).
  const received = counts.notifications;
  return {
    offered: rate,
    stored: undefined,
    report,
    received,
    receivedPerSecond: received / report.notifications.seconds,
    cpuMicrosPerValue: (cpu.seconds() * 1e6) / Math.max(1, received),
    threads: cpu.threads(),
    load: (loadBefore + load()) / 2,
  };
}
