/**
 * The metrics port on prom-client (the maintained Prometheus client for Node.js): its registry renders
 * the text exposition format, and it adds the process metrics it collects by default (CPU, memory,
 * event loop lag, handles, garbage collection).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterMetric, HistogramMetric, HistogramSpec, MetricLabels, MetricReader, Metrics, MetricSpec } from './Metrics.ts';

export class PrometheusMetrics implements Metrics {
  readonly #registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.#registry, prefix: 'lwm2m_hub_' });
  }

  counter<L extends string = never>(spec: MetricSpec<L>): CounterMetric<L> {
    const counter = new Counter<L>(this.#configuration(spec));
    return { inc: (labels = {}, value = 1) => counter.inc(labels, value) };
  }

  histogram<L extends string = never>(spec: HistogramSpec<L>): HistogramMetric<L> {
    const histogram = new Histogram<L>({ ...this.#configuration(spec), buckets: [...spec.buckets] });
    return { observe: (labels, value) => histogram.observe(labels, value) };
  }

  gauge<L extends string = never>(spec: MetricSpec<L>, read: MetricReader<L>): void {
    new Gauge<L>({
      ...this.#configuration(spec),
      async collect() {
        await mirror(read, this, (labels, value) => this.set(labels, value));
      },
    });
  }

  observedCounter<L extends string = never>(spec: MetricSpec<L>, read: MetricReader<L>): void {
    new Counter<L>({
      ...this.#configuration(spec),
      // The total is kept by its owner: mirror it (reset, then add the total) at each scrape.
      async collect() {
        await mirror(read, this, (labels, value) => this.inc(labels, value));
      },
    });
  }

  /** What every metric is made with: its spec, in this registry. */
  #configuration<L extends string>(spec: MetricSpec<L>): { name: string; help: string; labelNames: readonly L[]; registers: Registry[] } {
    return { name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [this.#registry] };
  }

  /** The Prometheus text exposition of every metric, and its content type. */
  async exposition(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() };
  }
}

/** A metric whose values their owner keeps: at each scrape it forgets what it held (labels gone since go too) and takes the owner's samples. */
async function mirror<L extends string>(read: MetricReader<L>, metric: { reset(): void }, write: (labels: MetricLabels<L>, value: number) => void): Promise<void> {
  const samples = await read();
  metric.reset();
  for (const sample of samples) write(sample.labels ?? {}, sample.value);
}
