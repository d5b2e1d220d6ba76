/**
 * The soak: a large registered fleet for a long time, with the server's memory sampled throughout.
 *
 *   node bench/soak.bench.ts [devices] [minutes] [sample seconds]
 *
 * `lwm2m-hub serve` runs in its own process on a temp data directory (embedded SQLite store, durable)
 * with the IPSO Temperature protocol imported (Send measurement and Auto-observe on /3303/0/5700, so the
 * server observes every device as it registers) and the fleet's CSV imported through it. Two fleet
 * simulators (bench/fleet) in processes of their own, over shared socket pools (100 devices a socket):
 * - the renewing fleet (90 %): lifetime 300 s, an Update every 240 s; 2 % of it notifies, confirmable,
 *   200 values a second in all;
 * - the expiring fleet (10 %), started once the renewing one notifies: lifetime 60 s, an Update every
 *   150 s, so the server expires each registration (after its 45 s of grace) before the Update, answers
 *   it 4.04, and the device registers again (LwM2M Transport 1.1 section 6.2.2) and is observed again.
 * Every 2 s an operation (read of /3/0) is requested through GraphQL of a random device, one in five of
 * the expiring fleet while it runs (queued while the device is expired, sent when it registers again). The server's heap and
 * RSS are read from its /metrics every [sample seconds] (prom-client's process metrics), its CPU time
 * from /proc. At the end: every requested operation must have succeeded (no lost operation), and the
 * notified values the server stored (its lwm2m_hub_reported_values_total{source="notification"}, counted
 * from the log; the first value of each observation, in the response to the observe, counts there too)
 * must equal those it acknowledged plus the observe responses (no lost notification).
 * Writes docs/bench/soak-memory.svg: heap and RSS over time.
 * Target: heap and RSS flat, nothing lost, with 100,000 devices for 30 minutes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FleetPhase, FleetReport } from './fleet/Fleet.ts';
import { processCpuSeconds, runSimulator } from './fleet/FleetBenchmarkProcesses.ts';
import { endpointName } from './fleet/FleetCredentials.ts';
import { importFleet, startHubUnderTest } from './fleet/HubUnderTest.ts';
import { renderLatencyChart } from './fleet/LatencyChart.ts';
import { serverMetrics } from './fleet/ServerMeasures.ts';
import { postGraphQL } from '../test/e2e/GraphQLTestClient.ts';

const devices = Number(process.argv[2] ?? 100_000);
const minutes = Number(process.argv[3] ?? 30);
const sampleSeconds = Number(process.argv[4] ?? 10);
const expiringDevices = Math.round(devices * 0.1);
const renewingDevices = devices - expiringDevices;
const devicesPerSocket = 100;
const renewing = { prefix: 'soak-', lifetime: 300, updateInterval: 240, rate: 200, notifying: Math.max(1, Math.round(renewingDevices * 0.02)) };
/** The server expires a registration 45 s after its lifetime (its expiry grace): an Update every 150 s comes after. */
const expiring = { prefix: 'soak-expiring-', lifetime: 60, updateInterval: 150 };
const operationEveryMs = 2_000;
/** How long the requested operations may take to end after the fleets stopped notifying. */
const operationsSettleMs = 60_000;
const chartFile = new URL('../docs/bench/soak-memory.svg', import.meta.url).pathname;
const format = (value: number, digits = 0): string => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mebibytes = (bytes: number): number => bytes / 2 ** 20;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  readonly seconds: number;
  readonly heapUsed: number;
  readonly rss: number;
  readonly online: number;
  readonly storedNotifications: number;
  readonly cpuSeconds: number;
  readonly load: number;
}

const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-soak-'));
const dataDir = join(dir, 'data');
const started = Date.now();
const uptimeBefore = loadavg();
process.stdout.write(
  `Soak: ${format(devices)} devices (${format(renewingDevices)} renewing, ${format(expiringDevices)} expiring) for ${minutes} min, server and fleets as separate processes; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${new Date(started).toISOString()}; load ${uptimeBefore.map((value) => value.toFixed(2)).join(' ')}\n`,
);
const hub = await startHubUnderTest(dataDir);
const samples: Sample[] = [];
const sample = async (): Promise<Sample> => {
  const metric = await serverMetrics(hub.serve.graphqlUrl, hub.token);
  const taken: Sample = {
    seconds: (Date.now() - started) / 1000,
    heapUsed: metric('lwm2m_hub_nodejs_heap_size_used_bytes'),
    rss: metric('lwm2m_hub_process_resident_memory_bytes'),
    online: metric('lwm2m_hub_devices_online'),
    storedNotifications: metric('lwm2m_hub_reported_values_total{source="notification"}'),
    cpuSeconds: processCpuSeconds(hub.pid),
    load: loadavg()[0] ?? 0,
  };
  samples.push(taken);
  return taken;
};
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const taken = await sample();
    process.stdout.write(
      `${format(taken.seconds)} s: heap ${format(mebibytes(taken.heapUsed), 1)} MiB, RSS ${format(mebibytes(taken.rss), 1)} MiB, ${format(taken.online)} online, ${format(taken.storedNotifications)} notifications stored, server CPU ${format(taken.cpuSeconds, 1)} s, load ${taken.load.toFixed(2)}\n`,
    );
    await sleep(sampleSeconds * 1000);
  }
})();

const requested: { readonly id: string; readonly endpoint: string }[] = [];
const refused: string[] = [];
let requesting = false;
/** Whether the expiring fleet runs and will still run an Update interval from now: an operation queued for it then finds it registered again. */
let expiringReachable = false;
/** Asks for a read of /3/0 of a random device every operationEveryMs while `requesting`; every fifth of the expiring fleet while it is reachable. */
const requester = async (): Promise<void> => {
  while (requesting) {
    const fromExpiring = expiringReachable && requested.length % 5 === 4;
    const endpoint = fromExpiring ? endpointName(expiring.prefix, Math.floor(Math.random() * expiringDevices)) : endpointName(renewing.prefix, Math.floor(Math.random() * renewingDevices));
    const answer = await postGraphQL(hub.serve.graphqlUrl, hub.token, 'mutation ($endpoint: String!) { readResource(endpoint: $endpoint, path: "/3/0") { id } }', { endpoint });
    const id = (answer.data as { readResource?: { id: string } } | undefined)?.readResource?.id;
    if (id === undefined) refused.push(`${endpoint}: ${JSON.stringify(answer.errors)}`);
    else requested.push({ id, endpoint });
    await sleep(operationEveryMs);
  }
};

interface OperationState {
  readonly status: string;
  readonly reason: string | null;
}

/** The status of every requested operation, 100 per query. */
async function operationStates(): Promise<Map<string, OperationState>> {
  const states = new Map<string, OperationState>();
  for (let first = 0; first < requested.length; first += 100) {
    const batch = requested.slice(first, first + 100);
    const query = `{ ${batch.map((operation, index) => `o${index}: operation(id: ${JSON.stringify(operation.id)}) { status reason }`).join(' ')} }`;
    const answer = await postGraphQL(hub.serve.graphqlUrl, hub.token, query);
    const data = (answer.data ?? {}) as Record<string, OperationState | null>;
    batch.forEach((operation, index) => states.set(operation.id, data[`o${index}`] ?? { status: 'UNKNOWN', reason: JSON.stringify(answer.errors) }));
  }
  return states;
}

try {
  const server = `coap://127.0.0.1:${hub.serve.coapPort}`;
  await importFleet(dataDir, { devices: renewingDevices, prefix: renewing.prefix, serverUri: server, security: 'NO_SEC', seed: 'soak', lifetime: renewing.lifetime, binding: 'U' });
  await importFleet(dataDir, { devices: expiringDevices, prefix: expiring.prefix, serverUri: server, security: 'NO_SEC', seed: 'soak', lifetime: expiring.lifetime, binding: 'U' });
  process.stdout.write(`imported ${format(devices)} devices at ${format((Date.now() - started) / 1000)} s\n`);

  const seconds = minutes * 60;
  const common = ['--server', server, '--concurrency', '256', '--observe-wait', '600', '--drain', '30'];
  let notifyingFrom = 0;
  let notifyingTo = 0;
  let expiringRun: Promise<FleetReport> | undefined;
  // The expiring fleet starts once the renewing one notifies, and idles (no notifications) an Update
  // interval longer than it, so that every operation queued for one of its devices finds it registered again.
  const expiringSeconds = seconds + expiring.updateInterval + 30;
  const onExpiringPhase = (phase: FleetPhase): void => {
    process.stdout.write(`expiring fleet: ${phase} at ${format((Date.now() - started) / 1000)} s\n`);
    if (phase === 'notifying') {
      expiringReachable = true;
      setTimeout(() => (expiringReachable = false), (expiringSeconds - expiring.updateInterval - 30) * 1000).unref();
    }
  };
  const onRenewingPhase = (phase: FleetPhase): void => {
    const at = (Date.now() - started) / 1000;
    process.stdout.write(`renewing fleet: ${phase} at ${format(at)} s\n`);
    if (phase === 'notifying') {
      notifyingFrom = at;
      requesting = true;
      void requester();
      expiringRun = runSimulator(
        [...common, '--devices', String(expiringDevices), '--prefix', expiring.prefix, '--sockets', String(Math.ceil(expiringDevices / devicesPerSocket)), '--lifetime', String(expiring.lifetime), '--update-interval', String(expiring.updateInterval), '--rate', '0', '--duration', String(expiringSeconds)],
        onExpiringPhase,
      );
    }
    if (phase === 'draining') {
      notifyingTo = at;
      requesting = false;
    }
  };
  const renewingReport = await runSimulator(
    [...common, '--devices', String(renewingDevices), '--prefix', renewing.prefix, '--sockets', String(Math.ceil(renewingDevices / devicesPerSocket)), '--lifetime', String(renewing.lifetime), '--update-interval', String(renewing.updateInterval), '--rate', String(renewing.rate), '--notifying', String(renewing.notifying), '--confirmable', '--duration', String(seconds)],
    onRenewingPhase,
  );
  if (expiringRun === undefined) throw new Error('the renewing fleet never notified, so the expiring fleet never started');
  const expiringReport = await expiringRun;
  const settleUntil = Date.now() + operationsSettleMs;
  let states = await operationStates();
  while ([...states.values()].some((state) => state.status === 'PENDING' || state.status === 'SENT') && Date.now() < settleUntil) {
    await sleep(2_000);
    states = await operationStates();
  }
  sampling = false;
  await sampler;
  const last = await sample();
  report(renewingReport, expiringReport, states, last, notifyingFrom, notifyingTo);
} finally {
  sampling = false;
  requesting = false;
  await sampler;
  hub.serve.child.kill('SIGTERM');
  await hub.serve.exited;
  rmSync(dir, { recursive: true, force: true });
}

function report(renewingReport: FleetReport, expiringReport: FleetReport, states: Map<string, OperationState>, last: Sample, notifyingFrom: number, notifyingTo: number): void {
  const byStatus = new Map<string, number>();
  for (const state of states.values()) byStatus.set(state.status, (byStatus.get(state.status) ?? 0) + 1);
  const notEnded = requested.filter((operation) => states.get(operation.id)?.status !== 'SUCCEEDED');
  const n = renewingReport.notifications;
  const expected = n.acknowledged + expiringReport.notifications.acknowledged + renewingReport.observations.established + expiringReport.observations.established;
  const steady = samples.filter((taken) => taken.seconds >= notifyingFrom + (notifyingTo - notifyingFrom) / 3 && taken.seconds <= notifyingTo);
  // The heap used swings with each collection: its lowest value in each third of the steady part is what stays.
  const thirds = [0, 1, 2].map((third) => steady.slice(Math.floor((third * steady.length) / 3), Math.floor(((third + 1) * steady.length) / 3)));
  const floors = thirds.map((part) => format(mebibytes(Math.min(...part.map((taken) => taken.heapUsed))), 1)).join(', ');
  const range = (values: readonly number[]): string => `${format(mebibytes(Math.min(...values)), 1)} to ${format(mebibytes(Math.max(...values)), 1)} MiB`;
  const loadAfter = loadavg();
  process.stdout.write(`
Ended ${new Date().toISOString()}; load before ${uptimeBefore.map((value) => value.toFixed(2)).join(' ')}, after ${loadAfter.map((value) => value.toFixed(2)).join(' ')}

| figure | result |
|---|---|
| Registers answered 2.01, renewing + expiring (first, and again after expiry) | ${format(renewingReport.registrations.done)} + ${format(expiringReport.registrations.done)} (${format(renewingReport.registrations.failed + expiringReport.registrations.failed)} failed) |
| first registrations/s (renewing fleet) | ${format(renewingReport.registrations.perSecond)} |
| Updates 2.04 / failed / registered again after a 4.04 | ${format(renewingReport.updates.done + expiringReport.updates.done)} / ${format(renewingReport.updates.failed + expiringReport.updates.failed)} / ${format(renewingReport.updates.reregistered + expiringReport.updates.reregistered)} |
| observations established / observe requests served | ${format(renewingReport.observations.established + expiringReport.observations.established)} / ${format(renewingReport.requests.observes + expiringReport.requests.observes)} |
| notifications sent (CON) / acknowledged / reset / timed out | ${format(n.sent)} / ${format(n.acknowledged)} / ${format(n.reset)} / ${format(n.timedOut)} |
| notifications stored by the server / acknowledged + observe responses | ${format(last.storedNotifications)} / ${format(expected)} |
| notification ACK latency p50 / p99 / max ms | ${format(n.ackLatencyMs.p50, 1)} / ${format(n.ackLatencyMs.p99, 1)} / ${format(n.ackLatencyMs.max, 1)} |
| operations requested through GraphQL / refused | ${format(requested.length)} / ${format(refused.length)} |
| operations by status at the end | ${[...byStatus].map(([status, count]) => `${status} ${format(count)}`).join(', ')} |
| reads the fleets answered | ${format(renewingReport.requests.reads + expiringReport.requests.reads)} |
| server heap used, steady part (last 2/3 of notifying) | ${range(steady.map((taken) => taken.heapUsed))}; lowest in each third ${floors} MiB |
| server RSS, steady part | ${range(steady.map((taken) => taken.rss))} |
| server heap / RSS at the end | ${format(mebibytes(last.heapUsed), 1)} / ${format(mebibytes(last.rss), 1)} MiB |
| server CPU over the run | ${format(last.cpuSeconds, 1)} s |
| fleets' CPU (renewing + expiring) | ${format(renewingReport.fleetCpuSeconds, 1)} + ${format(expiringReport.fleetCpuSeconds, 1)} s |
`);
  if (refused.length > 0) process.stdout.write(`first refusal: ${refused[0]}\n`);
  for (const operation of notEnded.slice(0, 5)) process.stdout.write(`not succeeded: ${operation.endpoint} ${operation.id}: ${JSON.stringify(states.get(operation.id))}\n`);
  if (renewingReport.registrations.firstFailure !== undefined) process.stdout.write(`first registration failure: ${renewingReport.registrations.firstFailure}\n`);
  process.stdout.write(`\nLost operations: ${format(notEnded.length)}; lost notifications (acknowledged, not stored): ${format(Math.max(0, expected - last.storedNotifications))}\n`);

  const minutesOf = (taken: Sample): number => taken.seconds / 60;
  const svg = renderLatencyChart({
    title: `lwm2m-hub soak: ${format(devices)} registered devices, server memory`,
    caption: `${new Date(started).toISOString().slice(0, 16)} UTC, ${cpus().length} cores, load ${uptimeBefore[0]?.toFixed(1) ?? '?'} to ${loadAfter[0]?.toFixed(1) ?? '?'}; notifying from ${format(notifyingFrom / 60, 1)} to ${format(notifyingTo / 60, 1)} min`,
    xLabel: 'minutes since the server started',
    yLabel: 'MiB',
    yScale: 'linear',
    series: [
      { name: 'RSS', colour: '#d62728', points: samples.map((taken) => ({ x: minutesOf(taken), y: mebibytes(taken.rss) })) },
      { name: 'heap used', colour: '#1f77b4', points: samples.map((taken) => ({ x: minutesOf(taken), y: mebibytes(taken.heapUsed) })) },
    ],
  });
  mkdirSync(dirname(chartFile), { recursive: true });
  writeFileSync(chartFile, svg);
  process.stdout.write(`Chart: ${chartFile}\n`);
}
