/** The device's measurements of a chosen period as a chart per series, live. */
import { useMemo, useState } from 'preact/hooks';
import { usePagesUpTo, useSubscription } from '../../api/Hooks.ts';
import { api } from '../../api/Session.ts';
import type { Measurement } from '../../api/TelemetryDocuments.ts';
import { measurementCreated, measurementsQuery } from '../../api/TelemetryDocuments.ts';
import { ErrorMessage, Time } from '../../components/Common.tsx';
import { TimeSeriesChart } from '../../components/TimeSeriesChart.tsx';

const hour = 60 * 60 * 1000;
const ranges: ReadonlyArray<readonly [number, string]> = [
  [hour, 'last hour'],
  [24 * hour, 'last 24 hours'],
  [7 * 24 * hour, 'last 7 days'],
];

/** At most this many points per period, as Cumulocity caps its charts: the page says when it stopped there. */
const maxPoints = 5_000;

export function MeasurementsTab({ endpoint }: { endpoint: string }) {
  const [range, setRange] = useState(24 * hour);
  const [from, setFrom] = useState(() => new Date(Date.now() - range).toISOString());
  const measurements = usePagesUpTo(
    async (after) => {
      const { measurements: page } = await api().request(measurementsQuery, { endpoint, from, after });
      return { items: page.edges.map((edge) => edge.node), hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor };
    },
    (point) => point.id,
    `${endpoint} ${from}`,
    maxPoints,
  );
  useSubscription(measurementCreated, { endpoint }, ({ measurementCreated: created }) =>
    measurements.update((points) => (points.some((point) => point.id === created.id) ? points : [...points, created])),
  );
  const series = useMemo(() => {
    const bySeries = new Map<string, Measurement[]>();
    for (const point of measurements.items) {
      const key = `${point.type} ${point.series}`;
      bySeries.set(key, [...(bySeries.get(key) ?? []), point]);
    }
    return [...bySeries.values()];
  }, [measurements.items]);
  const width = Math.max(320, Math.min(1100, (typeof window === 'undefined' ? 1100 : window.innerWidth) - 80));
  return (
    <section aria-labelledby="measurements-heading">
      <h2 id="measurements-heading">Measurements</h2>
      <div class="toolbar">
        <label for="measurement-range">Period</label>
        <select
          id="measurement-range"
          value={range}
          onChange={(event) => {
            const chosen = Number(event.currentTarget.value);
            setRange(chosen);
            setFrom(new Date(Date.now() - chosen).toISOString());
          }}
        >
          {ranges.map(([ms, label]) => (
            <option key={ms} value={ms}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={measurements.error} />
      {measurements.truncated ? <p class="hint">Showing the first {maxPoints} measurements of the period: choose a shorter one to see the latest.</p> : null}
      {series.length === 0 && !measurements.loading ? <p class="muted">No measurement yet: turn on “Send measurement” for a resource in Device protocols.</p> : null}
      {series.map((points) => {
        const first = points[0];
        const last = points[points.length - 1];
        if (first === undefined || last === undefined) return null;
        const label = `${first.type} ${first.series}`;
        return (
          <figure key={label} class="series" data-series={label}>
            <figcaption>
              <strong>{first.type}</strong> {first.series}: <span data-testid="point-count">{points.length}</span> point(s), latest{' '}
              <span data-testid="latest-value">
                {last.value} {last.unit}
              </span>{' '}
              at <Time value={last.time} />
            </figcaption>
            <TimeSeriesChart label={label} unit={first.unit} width={width} points={points.map((point) => ({ time: Date.parse(point.time) / 1000, value: point.value }))} />
          </figure>
        );
      })}
    </section>
  );
}
