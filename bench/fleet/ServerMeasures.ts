/**
 * What the fleet benchmarks read of lwm2m-hub while the simulator runs: the server process's CPU time
 * between the simulator's phases, the notified values the server has stored, and any other series of
 * its /metrics (memory, devices online).
 */
import type { FleetPhase } from './Fleet.ts';
import { processCpuSeconds } from './FleetBenchmarkProcesses.ts';

/** CPU seconds of `pid` from the start of the simulator's notifying to the end of its drain: hand `onPhase` to runSimulator. */
export function cpuWatcher(pid: number): { onPhase: (phase: FleetPhase) => void; seconds: () => number } {
  let start = 0;
  let end = 0;
  return {
    onPhase: (phase) => {
      if (phase === 'notifying') start = processCpuSeconds(pid);
      if (phase === 'done') end = processCpuSeconds(pid);
    },
    seconds: () => end - start,
  };
}

/** How many notified values lwm2m-hub has stored so far: its `lwm2m_hub_reported_values_total{source="notification"}` at `/metrics` beside `graphqlUrl`. */
export async function storedNotificationValues(graphqlUrl: string, token: string): Promise<number> {
  return (await serverMetrics(graphqlUrl, token))('lwm2m_hub_reported_values_total{source="notification"}');
}

/**
 * lwm2m-hub's `/metrics` beside `graphqlUrl`, read once: the value of a series named as the text
 * exposition writes it (name and labels, e.g. `lwm2m_hub_devices_online`), 0 when absent.
 */
export async function serverMetrics(graphqlUrl: string, token: string): Promise<(series: string) => number> {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'), { headers: { authorization: `Bearer ${token}` } });
  const lines = (await response.text()).split('\n');
  return (series) => {
    const line = lines.find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1).split(' ')[0]);
  };
}
