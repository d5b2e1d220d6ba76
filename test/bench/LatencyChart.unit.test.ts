/** The benchmarks' SVG chart: its y axis, logarithmic for latency or linear for memory, and its x ticks. */
import { describe, expect, it } from 'vitest';
import { renderLatencyChart } from '../../bench/fleet/LatencyChart.ts';

const yTickLabels = (svg: string): string[] => [...svg.matchAll(/<text x="62" y="[\d.]+" text-anchor="end">([^<]+)<\/text>/g)].map((match) => match[1] ?? '');
const xTickLabels = (svg: string): string[] => [...svg.matchAll(/<text x="[\d.]+" y="388" text-anchor="middle">([^<]+)<\/text>/g)].map((match) => match[1] ?? '');
const chart = { title: 't', caption: 'c', xLabel: 'x', yLabel: 'y' };

describe('the benchmarks chart', () => {
  it('draws latency on decades of a logarithmic axis, with a tick at each offered rate', () => {
    const svg = renderLatencyChart({ ...chart, series: [{ name: 'p99', colour: 'red', points: [{ x: 2000, y: 3 }, { x: 5000, y: 40 }, { x: 10000, y: 2500 }] }] });
    expect(yTickLabels(svg)).toEqual(['1', '10', '100', '1,000', '10,000']);
    expect(xTickLabels(svg)).toEqual(['2,000', '5,000', '10,000']);
  });

  it('draws memory on a linear axis from 0 in round steps, and a dense time series on round x steps ending past its last point', () => {
    const points = Array.from({ length: 100 }, (_, index) => ({ x: index * 0.37, y: 410 + (index % 7) }));
    const svg = renderLatencyChart({ ...chart, yScale: 'linear', series: [{ name: 'RSS', colour: 'red', points }] });
    expect(yTickLabels(svg)).toEqual(['0', '50', '100', '150', '200', '250', '300', '350', '400', '450']);
    expect(xTickLabels(svg)).toEqual(['0', '5', '10', '15', '20', '25', '30', '35', '40']);
  });
});
