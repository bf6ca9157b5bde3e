import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Timeseries } from '../api';

interface TimeseriesChartProps {
  title: string;
  series: Timeseries['series'];
  /** Which value of a point to draw. */
  pick?: (point: Timeseries['series']['a'][number]) => number | null;
  unit?: string;
}

/** Both variants on one time axis (buckets missing in one variant are gaps, not zeros). */
function align(series: Timeseries['series'], pick: NonNullable<TimeseriesChartProps['pick']>): uPlot.AlignedData {
  const times = new Set<number>();
  for (const point of [...series.a, ...series.b]) times.add(Date.parse(point.bucket_start) / 1000);
  const xs = [...times].sort((x, y) => x - y);
  const index = new Map(xs.map((x, i) => [x, i]));
  const column = (points: Timeseries['series']['a']) => {
    const values: Array<number | null> = new Array(xs.length).fill(null);
    for (const point of points) values[index.get(Date.parse(point.bucket_start) / 1000)!] = pick(point);
    return values;
  };
  return [xs, column(series.a), column(series.b)];
}

export function TimeseriesChart({ title, series, pick = (point) => point.value, unit = '' }: TimeseriesChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const data = align(series, pick);
  const points = series.a.length + series.b.length;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = Math.max(280, Math.min(element.clientWidth || 560, 720));
    chart.current = new uPlot(
      {
        width,
        height: 200,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{}, { label: unit, size: 60 }],
        series: [
          {},
          { label: 'a (control)', stroke: '#1f5fbf', width: 2, spanGaps: false },
          { label: 'b (treatment)', stroke: '#c2410c', width: 2, dash: [6, 3], spanGaps: false },
        ],
      },
      data,
      element,
    );
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // Created once; data changes below only update the series.
  }, []);

  useEffect(() => {
    chart.current?.setData(data);
  });

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={container} role="img" aria-label={`${title}: ${points} points over time, a solid blue line, b dashed orange`} />
    </figure>
  );
}
