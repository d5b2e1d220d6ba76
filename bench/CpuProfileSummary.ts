/**
 * The functions with the most self time in a V8 CPU profile (what `node --cpu-prof` writes, or the
 * inspector's Profiler.stop), as the rows of a Markdown table: a benchmark prints where its time goes
 * next to its figures. Self time is summed per function (name, file, line) over every call site.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly micros: number;
  /** Of the profile's busy time (idle and the in-process profiler's own calls left out). */
  readonly share: number;
}

export function readCpuProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

/** The `count` functions with the most self time, busiest first. */
export function topSelfTime(profile: CpuProfile, count: number): SelfTime[] {
  const names = new Map<number, string>();
  for (const { id, callFrame } of profile.nodes) {
    // Paths below the repository (or node_modules) are enough to find the function.
    const file = callFrame.url.replace(/^.*?\/(src|bench|node_modules)\//, '$1/');
    names.set(id, `${callFrame.functionName || '(anonymous)'} ${file}${file ? `:${callFrame.lineNumber + 1}` : ''}`);
  }
  const self = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const name = names.get(id) ?? '(unknown)';
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  // Idle time, and the inspector's own calls when the profile was taken in-process (its stop).
  const busy = [...self].filter(([name]) => !name.startsWith('(idle)') && !name.includes(' node:inspector'));
  const total = busy.reduce((sum, [, micros]) => sum + micros, 0);
  return busy
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, micros, share: total > 0 ? micros / total : 0 }));
}

/** Markdown rows: self time per operation in µs (over `operations`), share of the busy time, function. */
export function selfTimeTable(profile: CpuProfile, count: number, operations: number, operation: string): string {
  const rows = topSelfTime(profile, count).map(
    ({ name, micros, share }) => `| ${(micros / operations).toFixed(2)} | ${(share * 100).toFixed(1)} % | \`${name}\` |`,
  );
  return [`| self time per ${operation} (µs) | share | function |`, '|---:|---:|---|', ...rows].join('\n');
}
