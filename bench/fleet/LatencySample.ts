/** Latencies in milliseconds, summarised as the percentiles the benchmarks report. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export class LatencySample {
  readonly #values: number[] = [];

  add(milliseconds: number): void {
    this.#values.push(milliseconds);
  }

  get count(): number {
    return this.#values.length;
  }

  summary(): LatencySummary {
    const sorted = Float64Array.from(this.#values).sort();
    // Nearest-rank percentile: the value below which the given share of the sample lies.
    const at = (share: number): number => round(sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? 0);
    return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(sorted.at(-1) ?? 0) };
  }
}

const round = (milliseconds: number): number => Math.round(milliseconds * 100) / 100;
