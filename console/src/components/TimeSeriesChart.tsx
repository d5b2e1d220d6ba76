/** A time-series line chart of one measurement series (uPlot: canvas, small, fast with many points). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Point {
  /** Seconds since 1970. */
  readonly time: number;
  readonly value: number;
}

export function TimeSeriesChart({ label, unit, points, width }: { label: string; unit: string; points: readonly Point[]; width: number }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  useEffect(() => {
    const element = container.current;
    if (element === null) return undefined;
    const created = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: true } },
        series: [{}, { label: unit === '' ? label : `${label} (${unit})`, stroke: '#1f6feb', width: 2, points: { show: true, size: 5 } }],
        axes: [{}, { label: unit }],
      },
      [[], []],
      element,
    );
    plot.current = created;
    return () => {
      created.destroy();
      plot.current = undefined;
    };
  }, [label, unit, width]);

  useEffect(() => {
    plot.current?.setData([points.map((point) => point.time), points.map((point) => point.value)]);
  }, [points, label, unit, width]);

  return <div ref={container} class="chart" role="img" aria-label={`Chart of ${label}: ${points.length} point(s)`} />;
}
