/**
 * The metrics port: named counters and histograms that parts of the service update as things happen,
 * and gauges and counters read from existing state when metrics are scraped. The parts see only this
 * interface; `PrometheusMetrics` exposes it in the Prometheus text format and `noMetrics` discards
 * everything, for tests and tools that do not look.
 */

export type MetricLabels<L extends string> = Partial<Readonly<Record<L, string>>>;

export interface MetricSpec<L extends string> {
  /** Prometheus name, `lwm2m_hub_` first; a counter's ends in `_total`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

export interface HistogramSpec<L extends string> extends MetricSpec<L> {
  /** Upper bounds of the buckets, in the metric's unit (seconds for durations). */
  readonly buckets: readonly number[];
}

export interface CounterMetric<L extends string> {
  inc(labels?: MetricLabels<L>, value?: number): void;
}

export interface HistogramMetric<L extends string> {
  observe(labels: MetricLabels<L>, value: number): void;
}

/** One sample of a metric read at scrape time. */
export interface MetricSample<L extends string> {
  readonly labels?: MetricLabels<L>;
  readonly value: number;
}

export type MetricReader<L extends string> = () => Promise<readonly MetricSample<L>[]> | readonly MetricSample<L>[];

export interface Metrics {
  counter<L extends string = never>(spec: MetricSpec<L>): CounterMetric<L>;
  histogram<L extends string = never>(spec: HistogramSpec<L>): HistogramMetric<L>;
  /** A value read from the service's state at each scrape (devices online, sessions, lag...). */
  gauge<L extends string = never>(spec: MetricSpec<L>, read: MetricReader<L>): void;
  /** A total that something else keeps and only ever grows (datagrams dropped...), read at each scrape. */
  observedCounter<L extends string = never>(spec: MetricSpec<L>, read: MetricReader<L>): void;
}

/** Metrics that go nowhere. */
export const noMetrics: Metrics = {
  counter: () => ({ inc: () => undefined }),
  histogram: () => ({ observe: () => undefined }),
  gauge: () => undefined,
  observedCounter: () => undefined,
};
