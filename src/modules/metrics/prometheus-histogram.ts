import type { LogBucketSketch } from './log-bucket-sketch.js';

type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  /** Non-cumulative counts per upper bound; exported cumulatively. */
  counts: Float64Array;
  count: number;
  sum: number;
}

interface ExportedValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A Prometheus histogram fed whole sketches at a time. prom-client's Histogram takes one
 * observation per call, and replaying millions of recorded latencies per flush would cost more
 * than recording them did; this one adds each sketch bucket's count to the bucket holding its
 * value. Registered as a custom metric: prom-client's registry only needs `name`, `help`, `type`
 * and `get()` in its own value format.
 */
export class SketchHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
  ) {}

  addSketch(labels: Labels, sketch: LogBucketSketch, sum: number): void {
    const key = JSON.stringify(labels);
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels, counts: new Float64Array(this.upperBounds.length), count: 0, sum: 0 };
      this.series.set(key, series);
    }
    const target = series;
    sketch.forEachBucket((value, count) => {
      const at = this.upperBounds.findIndex((bound) => value <= bound);
      if (at >= 0) target.counts[at]! += count;
      target.count += count;
    });
    target.sum += sum;
  }

  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}
