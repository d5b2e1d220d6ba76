/**
 * The metrics port on prom-client (the maintained Prometheus client for Node.js): its registry renders
 * the text exposition format, and it adds the process metrics it collects by default (CPU, memory,
 * event loop lag, handles, garbage collection).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterMetric, HistogramMetric, HistogramSpec, MetricReader, Metrics, MetricSpec } from './Metrics.ts';

export class PrometheusMetrics implements Metrics {
  readonly #registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.#registry, prefix: 'lwm2m_hub_' });
  }

  counter<L extends string = never>(spec: MetricSpec<L>): CounterMetric<L> {
    const counter = new Counter<L>({ name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [this.#registry] });
    return { inc: (labels = {}, value = 1) => counter.inc(labels, value) };
  }

  histogram<L extends string = never>(spec: HistogramSpec<L>): HistogramMetric<L> {
    const histogram = new Histogram<L>({ name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], buckets: [...spec.buckets], registers: [this.#registry] });
    return { observe: (labels, value) => histogram.observe(labels, value) };
  }

  gauge<L extends string = never>(spec: MetricSpec<L>, read: MetricReader<L>): void {
    new Gauge<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [this.#registry],
      async collect() {
        const samples = await read();
        this.reset();
        for (const sample of samples) this.set(sample.labels ?? {}, sample.value);
      },
    });
  }

  observedCounter<L extends string = never>(spec: MetricSpec<L>, read: MetricReader<L>): void {
    new Counter<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [this.#registry],
      // The total is kept by its owner: mirror it (reset, then add the total) at each scrape.
      async collect() {
        const samples = await read();
        this.reset();
        for (const sample of samples) this.inc(sample.labels ?? {}, sample.value);
      },
    });
  }

  /** The Prometheus text exposition of every metric, and its content type. */
  async exposition(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() };
  }
}
