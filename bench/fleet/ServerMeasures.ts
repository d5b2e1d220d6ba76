/**
 * What the fleet benchmarks read of lwm2m-hub while the simulator runs: the server process's CPU time
 * between the simulator's phases, the notified values the server has stored, and any other series of
 * its /metrics (memory, devices online).
 */
import type { FleetPhase } from './Fleet.ts';
import { processCpuSeconds, threadCpuSeconds } from './FleetBenchmarkProcesses.ts';

/**
 * CPU seconds of `pid` from the start of the simulator's notifying to the end of its drain: hand
 * `onPhase` to runSimulator. `threads` is the same time by thread name (threadCpuSeconds), busiest first.
 */
export function cpuWatcher(pid: number): { onPhase: (phase: FleetPhase) => void; seconds: () => number; threads: () => ReadonlyArray<readonly [string, number]> } {
  let start = 0;
  let end = 0;
  let threadsAtStart = new Map<string, number>();
  let threadsAtEnd = new Map<string, number>();
  return {
    onPhase: (phase) => {
      if (phase === 'notifying') {
        start = processCpuSeconds(pid);
        threadsAtStart = threadCpuSeconds(pid);
      }
      if (phase === 'done') {
        end = processCpuSeconds(pid);
        threadsAtEnd = threadCpuSeconds(pid);
      }
    },
    seconds: () => end - start,
    threads: () => [...threadsAtEnd].map(([name, seconds]): readonly [string, number] => [name, seconds - (threadsAtStart.get(name) ?? 0)]).sort((a, b) => b[1] - a[1]),
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
