/** The device's measurements of a chosen period as a chart per series, live. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useSubscription } from '../../api/Hooks.ts';
import { api } from '../../api/Session.ts';
import type { Measurement, MeasurementPage } from '../../api/TelemetryDocuments.ts';
import { measurementCreated, measurementsQuery } from '../../api/TelemetryDocuments.ts';
import { ErrorMessage, errorOf, Time } from '../../components/Common.tsx';
import { TimeSeriesChart } from '../../components/TimeSeriesChart.tsx';

const hour = 60 * 60 * 1000;
const ranges: ReadonlyArray<readonly [number, string]> = [
  [hour, 'last hour'],
  [24 * hour, 'last 24 hours'],
  [7 * 24 * hour, 'last 7 days'],
];

/** At most this many points per period, as Cumulocity caps its charts: the page says when it stopped there. */
const maxPoints = 5_000;

interface Loaded {
  readonly points: readonly Measurement[];
  readonly truncated: boolean;
  readonly loading: boolean;
  readonly error: Error | undefined;
}

/** The device's measurements since `from`, page after page up to the cap, then live. */
function useMeasurementsSince(endpoint: string, from: string): Loaded {
  const [loaded, setLoaded] = useState<Loaded>({ points: [], truncated: false, loading: true, error: undefined });
  useEffect(() => {
    let current = true;
    setLoaded({ points: [], truncated: false, loading: true, error: undefined });
    void (async () => {
      const points: Measurement[] = [];
      let after: string | null = null;
      try {
        for (;;) {
          const measurements: MeasurementPage = (await api().request(measurementsQuery, { endpoint, from, after })).measurements;
          points.push(...measurements.edges.map((edge) => edge.node));
          const more = measurements.pageInfo.hasNextPage;
          if (!more || points.length >= maxPoints || !current) {
            if (current) setLoaded((state) => ({ points: [...points, ...state.points.filter((point) => !points.some((each) => each.id === point.id))], truncated: more, loading: false, error: undefined }));
            return;
          }
          after = measurements.pageInfo.endCursor;
        }
      } catch (failure) {
        if (current) setLoaded((state) => ({ ...state, loading: false, error: errorOf(failure) }));
      }
    })();
    return () => {
      current = false;
    };
  }, [endpoint, from]);
  useSubscription(measurementCreated, { endpoint }, ({ measurementCreated: created }) =>
    setLoaded((state) => (state.points.some((point) => point.id === created.id) ? state : { ...state, points: [...state.points, created] })),
  );
  return loaded;
}

export function MeasurementsTab({ endpoint }: { endpoint: string }) {
  const [range, setRange] = useState(24 * hour);
  const [from, setFrom] = useState(() => new Date(Date.now() - range).toISOString());
  const measurements = useMeasurementsSince(endpoint, from);
  const series = useMemo(() => {
    const bySeries = new Map<string, Measurement[]>();
    for (const point of measurements.points) {
      const key = `${point.type} ${point.series}`;
      bySeries.set(key, [...(bySeries.get(key) ?? []), point]);
    }
    return [...bySeries.values()];
  }, [measurements.points]);
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
