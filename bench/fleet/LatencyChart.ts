/**
 * A small SVG line chart, written by the benchmarks themselves so that a figure needs no plotting
 * dependency: one line per series against an x axis, linear by default (logarithmic for sizes that span
 * decades, such as fleet sizes), with a legend and a caption line for date, machine and load. The y axis is logarithmic by default, since latency percentiles span milliseconds to
 * seconds; linear for quantities that should stay flat, such as memory over a soak.
 */

export interface ChartSeries {
  readonly name: string;
  readonly colour: string;
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number }>;
}

export interface LatencyChart {
  readonly title: string;
  readonly caption: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** A short note above an x value (e.g. the share received there), since latency alone hides loss. */
  readonly notes?: ReadonlyArray<{ readonly x: number; readonly text: string }>;
  /** Default 'log'; 'linear' starts at 0. */
  readonly yScale?: 'log' | 'linear';
  /** Default 'linear'; 'log' spans the decades around the x values. */
  readonly xScale?: 'log' | 'linear';
}

const width = 720;
const height = 440;
const margin = { left: 70, right: 170, top: 56, bottom: 70 };

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderLatencyChart(chart: LatencyChart): string {
  const points = chart.series.flatMap((series) => series.points).filter((point) => point.y > 0);
  const xValues = [...new Set(points.map((point) => point.x))].sort((a, b) => a - b);
  // A tick at every x while they can be read apart (offered rates); round steps for a dense series (time).
  const xTicks = xValues.length <= 12 ? xValues : roundSteps(Math.max(...xValues));
  const xMax = Math.max(...xTicks);
  const yAxis = chart.yScale === 'linear' ? linearAxis(points) : logAxis(points);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const xDecades = [Math.floor(Math.log10(Math.min(...xTicks))), Math.ceil(Math.log10(xMax))] as const;
  const xFraction = chart.xScale === 'log' ? (value: number): number => (Math.log10(value) - xDecades[0]) / Math.max(1, xDecades[1] - xDecades[0]) : (value: number): number => value / xMax;
  const x = (value: number): number => margin.left + xFraction(value) * plotWidth;
  const y = (value: number): number => margin.top + plotHeight - yAxis.fraction(value) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
    `<text x="${margin.left}" y="${height - 12}" fill="#555">${escape(chart.caption)}</text>`,
  ];
  for (const tick of yAxis.ticks) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick >= 1 ? tick.toLocaleString('en') : tick}</text>`);
  }
  for (const tick of xTicks) {
    parts.push(`<line x1="${x(tick)}" x2="${x(tick)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#eee"/>`);
    parts.push(`<text x="${x(tick)}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${tick.toLocaleString('en')}</text>`);
  }
  for (const note of chart.notes ?? []) parts.push(`<text x="${x(note.x)}" y="${margin.top - 6}" text-anchor="middle" fill="#555">${escape(note.text)}</text>`);
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${margin.top + plotHeight + 40}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`);
  chart.series.forEach((series, index) => {
    const shown = series.points.filter((point) => point.y > 0);
    parts.push(`<polyline fill="none" stroke="${series.colour}" stroke-width="2" points="${shown.map((point) => `${x(point.x).toFixed(1)},${y(point.y).toFixed(1)}`).join(' ')}"/>`);
    if (shown.length <= 50) for (const point of shown) parts.push(`<circle cx="${x(point.x).toFixed(1)}" cy="${y(point.y).toFixed(1)}" r="3" fill="${series.colour}"/>`);
    const legendY = margin.top + 10 + index * 20;
    parts.push(`<line x1="${width - margin.right + 15}" x2="${width - margin.right + 40}" y1="${legendY}" y2="${legendY}" stroke="${series.colour}" stroke-width="2"/>`);
    parts.push(`<text x="${width - margin.right + 46}" y="${legendY + 4}">${escape(series.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

interface YAxis {
  readonly ticks: readonly number[];
  /** Where a value sits between the bottom (0) and the top (1) of the plot. */
  fraction(value: number): number;
}

function logAxis(points: ReadonlyArray<{ readonly y: number }>): YAxis {
  const low = 10 ** Math.floor(Math.log10(Math.min(...points.map((point) => point.y))));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...points.map((point) => point.y))));
  const ticks: number[] = [];
  for (let decade = low; decade <= high; decade *= 10) ticks.push(decade);
  return { ticks, fraction: (value) => (Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low)) };
}

function linearAxis(points: ReadonlyArray<{ readonly y: number }>): YAxis {
  const ticks = roundSteps(Math.max(...points.map((point) => point.y)));
  const high = ticks[ticks.length - 1] ?? 1;
  return { ticks, fraction: (value) => value / high };
}

/** 0 and round steps (1, 2 or 5 times a power of ten) up to at least `max`, five to ten of them. */
function roundSteps(max: number): number[] {
  const magnitude = 10 ** Math.floor(Math.log10(max / 5));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => max / candidate <= 10) ?? 10 * magnitude;
  const steps: number[] = [];
  for (let index = 0; index * step < max + step; index++) steps.push(index * step);
  return steps;
}
