/**
 * Scale-out: 1, 2 and 3 lwm2m-hub nodes sharing one event store behind nginx, fed by the fleet
 * simulator, side by side in one run:
 *
 *   node bench/scale-out.bench.ts [devices] [seconds per rate] [rate,rate,...] [rounds]
 *
 * The nodes run in one process (bench/fleet/SharedStoreNodes.ts) on one in-memory event store: the
 * embedded SQLite store is one process's, and no EventStoreDB server runs here. nginx's stream module
 * balances the devices' UDP over the nodes (test/support/NginxUdpBalancer.ts: `hash` of the source
 * address and port, `consistent`), so each device registers with, is observed by and notifies the node
 * its hash gives. The IPSO Temperature protocol is imported with Send measurement and Auto-observe on
 * /3303/0/5700 (as in fleet-notifications), the fleet's CSV through node 0, and a GraphQL subscriber on
 * node 0 follows every device's values: a node sees every device's values through the shared log.
 *
 * For each setup and offered rate: how many registrations each node holds (by the node id recorded in
 * them) and so the notifications each node takes, the values stored (node 0's count of the notified
 * values in the shared log), the notifications heard by node 0's subscriber per second, latency from
 * the device's send to that subscriber, and the server process's CPU time (all its nodes) per value
 * stored; and the process's heap once the fleet is registered (what a node costs before any value).
 * The yardstick in the same run: one node reached directly, without the balancer. The setups take
 * turns in rounds, so that the machine's load falls on all of them alike; medians at the end.
 *
 * On 2 cores shared with the simulator and nginx, the nodes cannot run side by side: the figures show
 * the shape (what a node adds: each node projects the whole log into its own read models), not what
 * N machines would do.
 * SERVER_NODE_OPTIONS is the nodes' process's NODE_OPTIONS: `SERVER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof"`
 * profiles it (one profile per setup, written when it stops).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FleetPhase, FleetReport } from './fleet/Fleet.ts';
import { runSimulator } from './fleet/FleetBenchmarkProcesses.ts';
import { cpuWatcher, storedNotificationValues } from './fleet/ServerMeasures.ts';
import { configureTemperatureProtocol, importFleet } from './fleet/HubUnderTest.ts';
import { NginxUdpBalancer } from '../test/support/NginxUdpBalancer.ts';

const devices = Number(process.argv[2] ?? 600);
const secondsPerRate = Number(process.argv[3] ?? 15);
const rates = (process.argv[4] ?? '1000,2500').split(',').map(Number);
const rounds = Number(process.argv[5] ?? 3);
const prefix = 'bench-scale-';
const nodesPath = new URL('fleet/SharedStoreNodes.ts', import.meta.url).pathname;
/**
 * The command line's environment for the nodes: their store is not their data directory's SQLite file,
 * so the command line must find node 0 by its service file and call its API, as it does for a service
 * on EventStoreDB (it never connects to this URL: the service file names a running process).
 */
const sharedStoreCli = { EVENTSTORE_URL: 'esdb://127.0.0.1:2113' };

interface Setup {
  readonly name: string;
  readonly nodes: number;
  readonly balanced: boolean;
}

const setups: readonly Setup[] = [
  { name: '1 node, no balancer', nodes: 1, balanced: false },
  { name: '1 node', nodes: 1, balanced: true },
  { name: '2 nodes', nodes: 2, balanced: true },
  { name: '3 nodes', nodes: 3, balanced: true },
];

interface NodeInfo {
  readonly nodeId: string;
  readonly coapPort: number;
  readonly graphqlUrl: string;
  readonly dataDir: string;
}

interface HeldReport {
  readonly held: readonly number[];
  readonly heapUsedBytes: number;
}

/** The nodes' process: started, asked what each node holds, stopped. */
interface SharedStoreNodes {
  readonly pid: number;
  readonly nodes: readonly NodeInfo[];
  held(): Promise<HeldReport>;
  stop(): Promise<void>;
}

async function startNodes(count: number, dir: string): Promise<SharedStoreNodes> {
  const serverNodeOptions = process.env['SERVER_NODE_OPTIONS'];
  const child = spawn(process.execPath, ['--expose-gc', nodesPath, String(count), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: serverNodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: serverNodeOptions },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await lines.next();
  if (first.done === true || child.pid === undefined) throw new Error('the nodes did not start');
  const { nodes } = JSON.parse(first.value) as { nodes: NodeInfo[] };
  return {
    pid: child.pid,
    nodes,
    held: async () => {
      child.stdin.write('held\n');
      const answer = await lines.next();
      if (answer.done === true) throw new Error('the nodes stopped before answering');
      return JSON.parse(answer.value) as HeldReport;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const format = (value: number, digits = 0): string => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const load = (): number => loadavg()[0] ?? 0;
const fleetArguments = (server: string, rate: number, seconds: number): string[] => [
  '--server', server, '--devices', String(devices), '--prefix', prefix, '--rate', String(rate), '--duration', String(seconds), '--update-interval', '0', '--drain', '15',
];

interface Row {
  readonly setup: Setup;
  readonly offered: number;
  readonly held: readonly number[];
  readonly sentPerSecond: number;
  /** Values the server stored (node 0's count of the shared log's notified values). */
  readonly stored: number;
  readonly sent: number;
  readonly heardPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMicrosPerValue: number;
  readonly load: number;
}

/** A node's fixed cost: the nodes' process's heap once the fleet is registered, per setup. */
const heapAfterRegistering = new Map<Setup, number[]>();
const rows: Row[] = [];

/** One round of a setup: fresh nodes (a fresh store), the fleet registered, each rate measured. */
async function measure(setup: Setup): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-scale-'));
  const nodes = await startNodes(setup.nodes, dir);
  const balancer = setup.balanced ? await NginxUdpBalancer.start({ backendPorts: nodes.nodes.map((node) => node.coapPort) }) : undefined;
  try {
    const first = nodes.nodes[0];
    if (first === undefined) throw new Error('no node');
    const token = readFileSync(join(first.dataDir, 'admin.token'), 'utf8').trim();
    const server = `coap://127.0.0.1:${balancer?.port ?? first.coapPort}`;
    await configureTemperatureProtocol(first.dataDir, first.graphqlUrl, token, sharedStoreCli);
    await importFleet(first.dataDir, { devices, prefix, serverUri: server, security: 'NO_SEC', seed: 'bench', lifetime: 3600, binding: 'U' }, sharedStoreCli);
    await runSimulator(fleetArguments(server, 0, 1));
    heapAfterRegistering.set(setup, [...(heapAfterRegistering.get(setup) ?? []), (await nodes.held()).heapUsedBytes]);
    // Warm-up, not reported: the auto-observes and the JIT.
    await runSimulator(fleetArguments(server, 500, 5));
    for (const rate of rates) {
      const cpu = cpuWatcher(nodes.pid);
      const loadBefore = load();
      // Counted from the start of notifying: the Observe answers of the fleet's new registrations are values too.
      let storedBefore: Promise<number> = Promise.resolve(0);
      const onPhase = (phase: FleetPhase): void => {
        cpu.onPhase(phase);
        if (phase === 'notifying') storedBefore = storedNotificationValues(first.graphqlUrl, token);
      };
      const report: FleetReport = await runSimulator([...fleetArguments(server, rate, secondsPerRate), '--graphql', first.graphqlUrl, '--token', token], onPhase);
      const stored = (await storedNotificationValues(first.graphqlUrl, token)) - (await storedBefore);
      const { held } = await nodes.held();
      const row: Row = {
        setup,
        offered: rate,
        held,
        sentPerSecond: report.notifications.sentPerSecond,
        stored,
        sent: report.notifications.sent,
        heardPerSecond: report.subscriber?.perSecond ?? 0,
        p50: report.subscriber?.latencyMs.p50 ?? 0,
        p99: report.subscriber?.latencyMs.p99 ?? 0,
        cpuMicrosPerValue: (cpu.seconds() * 1e6) / Math.max(1, stored),
        load: (loadBefore + load()) / 2,
      };
      rows.push(row);
      print(row);
      if (report.observations.active < devices) process.stdout.write(`(only ${report.observations.active} of ${devices} devices observed)\n`);
    }
  } finally {
    await balancer?.stop();
    await nodes.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(row: Row): void {
  const share = row.held.map((count) => format((row.sentPerSecond * count) / devices));
  process.stdout.write(
    `| ${row.setup.name} | ${format(row.offered)} | ${row.held.map((count) => format(count)).join(' / ')} | ${share.join(' / ')} | ${format((row.stored / Math.max(1, row.sent)) * 100, 1)} % | ${format(row.heardPerSecond)} | ${format(row.p50, 1)} | ${format(row.p99, 1)} | ${format(row.cpuMicrosPerValue, 1)} | ${format(row.load, 1)} |\n`,
  );
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
};
const spread = (values: readonly number[], digits = 0): string => `${format(median(values), digits)} (${values.map((value) => format(value, digits)).join(', ')})`;

process.stdout.write(
  `Scale-out benchmark: ${devices} devices, ${secondsPerRate} s per offered rate (${rates.join(', ')}/s), ${rounds} rounds; nodes in one process on one in-memory event store, behind nginx; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${new Date().toISOString()}; load ${loadavg().map((value) => format(value, 2)).join(' ')}\n\n`,
);
process.stdout.write('| setup | offered /s | registrations held per node | notifications/s per node (by its share) | stored by the server | heard /s (node 0) | p50 ms | p99 ms | server CPU µs per stored notification | load (1 min) |\n|---|---:|---|---|---:|---:|---:|---:|---:|---:|\n');
// Rounds of every setup in turn, so that the machine's load falls on all of them alike.
for (let round = 0; round < rounds; round++) for (const setup of setups) await measure(setup);

process.stdout.write(`\nMedians of ${rounds} rounds (each round in brackets):\n\n| setup | offered /s | heard /s | p99 ms | server CPU µs per stored notification | heap MB after registering |\n|---|---:|---:|---:|---:|---:|\n`);
for (const setup of setups) {
  for (const rate of rates) {
    const of = rows.filter((row) => row.setup === setup && row.offered === rate);
    process.stdout.write(
      `| ${setup.name} | ${format(rate)} | ${spread(of.map((row) => row.heardPerSecond))} | ${spread(of.map((row) => row.p99))} | ${spread(of.map((row) => row.cpuMicrosPerValue), 1)} | ${spread((heapAfterRegistering.get(setup) ?? []).map((bytes) => bytes / 2 ** 20), 1)} |\n`,
    );
  }
}
process.stdout.write(`\nload ${loadavg().map((value) => format(value, 2)).join(' ')}; ${new Date().toISOString()}\n`);
