import { Injectable } from '@nestjs/common';
import type { Tx } from '../../database/transactions.js';
import { GRAIN_MS, truncate } from './aggregate-rows.js';
import { AggregateStore, type MomentsRow } from './aggregate.store.js';
import { LogBucketSketch } from './log-bucket-sketch.js';
import { isUuid } from '../../common/validation/uuid.js';
import { CUSTOM_PREFIX, LATENCY_METRIC, METRIC_NAME_PATTERN, REQUESTS_METRIC } from './metric-deltas.js';
import { MetricsError } from './metrics.errors.js';
import { planSegments } from './time-ranges.js';
import type { Moments, VariantSnapshot } from './stats/variant-snapshot.js';

export interface TimeRange {
  from?: Date;
  to?: Date;
}

export type SnapshotPair = { a: VariantSnapshot; b: VariantSnapshot };

/** A snapshot and, when a latency threshold was given, how many latencies of each variant exceed it. */
export interface SnapshotWithExceedances {
  snapshot: SnapshotPair;
  latencyExceedances: { a: number; b: number } | null;
}
export type LookInterval = 'hour' | 'day';
export type TimeseriesInterval = 'minute' | 'hour';
export type TimeseriesMetric = 'requests' | 'error_rate' | 'latency_ms' | `custom:${string}`;

export interface TimeseriesPoint {
  bucket_start: string;
  /** requests: the count; error_rate: errors / requests; latency_ms and custom: the mean. */
  value: number;
  /** Requests (requests, error_rate) or observations (latency_ms, custom) in the bucket. */
  count: number;
  /** latency_ms only: the bucket's p95 from its sketch. */
  p95?: number | null;
}

export interface Timeseries {
  metric: TimeseriesMetric;
  interval: TimeseriesInterval;
  from: string;
  to: string;
  /** Buckets with data, oldest first; buckets without data are left out. */
  series: { a: TimeseriesPoint[]; b: TimeseriesPoint[] };
}

/** The per-variant figures of `GET /ab-tests/{id}` (`metrics.variant_a` / `variant_b`). */
export interface VariantSummary {
  requests: number;
  errors: number;
  /** errors / requests; 0 before the first request. */
  error_rate: number;
  /** Milliseconds; null before the first latency. */
  avg_latency: number | null;
  p50_latency: number | null;
  p95_latency: number | null;
  p99_latency: number | null;
  custom: Record<string, { count: number; mean: number | null }>;
}

/** Looks further back than this are left out (the sequential p-value takes the minimum over them). */
export const MAX_LOOKS = 200;

const TIMESERIES_DEFAULT_SPAN_MS: Record<TimeseriesInterval, number> = { minute: 24 * 3_600_000, hour: 30 * 86_400_000 };
/** At most this many buckets per variant in one timeseries. */
export const MAX_TIMESERIES_BUCKETS = 10_080;

interface Totals {
  snapshot: SnapshotPair;
  latency: { a: LogBucketSketch; b: LogBucketSketch };
}

/**
 * Reads aggregates back: cumulative snapshots in the shape the statistics take, earlier looks,
 * chart series and the per-variant summary of `GET /ab-tests/{id}`. Every read is one SQL statement; whole days and hours come
 * from the rollups (see planSegments), so a snapshot costs about the same for a day-old test and
 * a month-old one.
 */
@Injectable()
export class MetricsQueryService {
  /** The transaction the reads run in (see `within`); none: the pool. */
  private tx: Tx | undefined;

  constructor(private readonly store: AggregateStore) {}

  /**
   * The same reads on a transaction's connection, e.g. to freeze a test's results while its row
   * is locked (no second pool connection, and the reads see the transaction's own writes).
   */
  within(tx: Tx): MetricsQueryService {
    const inTransaction = new MetricsQueryService(this.store);
    inTransaction.tx = tx;
    return inTransaction;
  }

  /** Everything recorded for the test in the range (default: all of it), per variant. */
  async snapshot(testId: string, range: TimeRange = {}): Promise<SnapshotPair> {
    return (await this.totals(testId, range)).snapshot;
  }

  /**
   * `snapshot` and `latencyExceedances` from one read (results and guardrails need both; reading
   * them separately would merge the sketches twice). No threshold: `latencyExceedances` is null.
   */
  async snapshotWithExceedances(testId: string, latencyThresholdMs: number | undefined, range: TimeRange = {}): Promise<SnapshotWithExceedances> {
    const { snapshot, latency } = await this.totals(testId, range);
    if (latencyThresholdMs === undefined) return { snapshot, latencyExceedances: null };
    return { snapshot, latencyExceedances: { a: latency.a.countAbove(latencyThresholdMs), b: latency.b.countAbove(latencyThresholdMs) } };
  }

  /**
   * Latency observations above `thresholdMs` per variant, from the merged sketch (exact but for
   * the one bucket straddling the threshold, within 1%). Guardrails pass it to guardrailBreaches
   * as `latencyExceedances`.
   */
  async latencyExceedances(testId: string, thresholdMs: number, range: TimeRange = {}): Promise<{ a: number; b: number }> {
    const { latency } = await this.totals(testId, range);
    return { a: latency.a.countAbove(thresholdMs), b: latency.b.countAbove(thresholdMs) };
  }

  /** The per-variant summary of `GET /ab-tests/{id}` (its `metrics` object). */
  async summarize(testId: string): Promise<{ variant_a: VariantSummary; variant_b: VariantSummary }> {
    const { snapshot } = await this.totals(testId, {});
    return { variant_a: toVariantSummary(snapshot.a), variant_b: toVariantSummary(snapshot.b) };
  }

  /**
   * Cumulative snapshots at the end of each completed hour or day that has data, oldest first,
   * the last MAX_LOOKS of them: the earlier looks of the always-valid p-value (computeResults'
   * `looks`). Moments only: their latency quantiles are null (the statistics do not use them).
   */
  async looks(testId: string, interval: LookInterval, now: Date = new Date()): Promise<SnapshotPair[]> {
    if (!isUuid(testId)) return [];
    const rows = await this.store.readLooks(testId, interval, new Date(truncate(now.getTime(), interval)), this.tx);
    const running = emptyPair();
    const looks: SnapshotPair[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      addRow(running, row);
      const next = rows[i + 1];
      if (next === undefined || next.at !== row.at) looks.push(clonePair(running));
    }
    return looks.slice(-MAX_LOOKS);
  }

  /** One metric per bucket for charts. Default range: the last 24 hours (minute) or 30 days (hour). */
  async timeseries(testId: string, metric: TimeseriesMetric, interval: TimeseriesInterval, range: TimeRange = {}, now: Date = new Date()): Promise<Timeseries> {
    const stored = storedMetricOf(metric);
    const width = GRAIN_MS[interval];
    const to = range.to ? Math.ceil(range.to.getTime() / width) * width : truncate(now.getTime(), interval) + width;
    const from = range.from ? truncate(range.from.getTime(), interval) : to - TIMESERIES_DEFAULT_SPAN_MS[interval];
    if (!(from < to)) throw MetricsError.invalidRange('from must be before to');
    if ((to - from) / width > MAX_TIMESERIES_BUCKETS) {
      throw MetricsError.invalidRange(`the range spans ${Math.round((to - from) / width)} ${interval}s; at most ${MAX_TIMESERIES_BUCKETS} per request`);
    }
    const result: Timeseries = { metric, interval, from: new Date(from).toISOString(), to: new Date(to).toISOString(), series: { a: [], b: [] } };
    if (!isUuid(testId)) return result;
    const latency = stored === LATENCY_METRIC;
    const rows = await this.store.readSeries(testId, interval, stored, new Date(from), new Date(to), this.tx);
    for (const row of rows) {
      if (!(row.count > 0)) continue;
      const point: TimeseriesPoint = {
        bucket_start: row.bucket_start.toISOString(),
        value: metric === 'requests' ? row.count : metric === 'error_rate' ? row.errors / row.count : row.sum / row.count,
        count: row.count,
      };
      if (latency) point.p95 = LogBucketSketch.fromCounts(row.sketch).quantile(0.95);
      result.series[row.variant].push(point);
    }
    return result;
  }

  private async totals(testId: string, range: TimeRange): Promise<Totals> {
    const empty: Totals = { snapshot: emptyPair(), latency: { a: new LogBucketSketch(), b: new LogBucketSketch() } };
    if (!isUuid(testId)) return empty;
    const segments = planSegments(range.from?.getTime() ?? null, range.to?.getTime() ?? null);
    if (segments.length === 0) return empty;
    const { moments, latencySketches } = await this.store.readTotals(testId, segments, this.tx);
    for (const row of moments) addRow(empty.snapshot, row);
    for (const { variant, sketch } of latencySketches) empty.latency[variant].mergeCounts(sketch);
    for (const variant of ['a', 'b'] as const) {
      const [p50, p95, p99] = empty.latency[variant].quantiles([0.5, 0.95, 0.99]);
      Object.assign(empty.snapshot[variant].latency, { p50, p95, p99 });
    }
    return empty;
  }
}

function storedMetricOf(metric: string): string {
  if (metric === 'requests' || metric === 'error_rate') return REQUESTS_METRIC;
  if (metric === LATENCY_METRIC) return LATENCY_METRIC;
  if (metric.startsWith(CUSTOM_PREFIX) && METRIC_NAME_PATTERN.test(metric.slice(CUSTOM_PREFIX.length))) return metric;
  throw MetricsError.unknownMetric(metric);
}

function emptyVariant(): VariantSnapshot {
  return { requests: 0, errors: 0, latency: { n: 0, sum: 0, sumSquares: 0, p50: null, p95: null, p99: null }, custom: {} };
}

function emptyPair(): SnapshotPair {
  return { a: emptyVariant(), b: emptyVariant() };
}

function clonePair(pair: SnapshotPair): SnapshotPair {
  const clone = (v: VariantSnapshot): VariantSnapshot => ({
    requests: v.requests,
    errors: v.errors,
    latency: { ...v.latency },
    custom: Object.fromEntries(Object.entries(v.custom).map(([name, m]) => [name, { ...m }])),
  });
  return { a: clone(pair.a), b: clone(pair.b) };
}

/** Adds one aggregate row to a cumulative snapshot. Custom metrics are keyed by their bare name. */
function addRow(pair: SnapshotPair, row: MomentsRow): void {
  const target = pair[row.variant];
  if (target === undefined) return;
  if (row.metric === REQUESTS_METRIC) {
    target.requests += row.count;
    target.errors += row.errors;
    return;
  }
  let moments: Moments;
  if (row.metric === LATENCY_METRIC) moments = target.latency;
  else if (row.metric.startsWith(CUSTOM_PREFIX)) moments = target.custom[row.metric.slice(CUSTOM_PREFIX.length)] ??= { n: 0, sum: 0, sumSquares: 0 };
  else return;
  moments.n += row.count;
  moments.sum += row.sum;
  moments.sumSquares += row.sum_squares;
}

export function toVariantSummary(snapshot: VariantSnapshot): VariantSummary {
  const { latency } = snapshot;
  return {
    requests: snapshot.requests,
    errors: snapshot.errors,
    error_rate: snapshot.requests > 0 ? snapshot.errors / snapshot.requests : 0,
    avg_latency: latency.n > 0 ? latency.sum / latency.n : null,
    p50_latency: latency.p50,
    p95_latency: latency.p95,
    p99_latency: latency.p99,
    custom: Object.fromEntries(
      Object.entries(snapshot.custom)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([name, m]) => [name, { count: m.n, mean: m.n > 0 ? m.sum / m.n : null }]),
    ),
  };
}
