/**
 * What the fleet benchmarks read of lwm2m-hub while the simulator runs: the server process's CPU time
 * between the simulator's phases, and the notified values the server has stored (its /metrics).
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
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'), { headers: { authorization: `Bearer ${token}` } });
  const match = /^lwm2m_hub_reported_values_total\{source="notification"\} (\d+)$/m.exec(await response.text());
  return Number(match?.[1] ?? 0);
}
