import { LogBucketSketch } from './log-bucket-sketch.js';
import { LATENCY_METRIC, REQUESTS_METRIC, type DeltaBuffer, type ValueDeltas } from './metric-deltas.js';
import type { Variant } from '../../common/variant.js';

/**
 * Aggregates are kept at three grains: minutes in `metric_aggregates` (the source of truth for
 * charts and ranges), hours and days in `metric_rollups` (so a snapshot of a week-long test reads
 * tens of rows instead of tens of thousands). Every write adds the same deltas to all three.
 */
export type Grain = 'minute' | 'hour' | 'day';
export const GRAINS: readonly Grain[] = ['minute', 'hour', 'day'];

export const GRAIN_MS: Record<Grain, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Start of the UTC minute, hour or day holding `epochMs`. */
export function truncate(epochMs: number, grain: Grain): number {
  const width = GRAIN_MS[grain];
  return Math.floor(epochMs / width) * width;
}

/** One row's deltas; added to the stored row by the upsert. */
export interface AggregateRow {
  grain: Grain;
  testId: string;
  variant: Variant;
  /** `requests`, `latency_ms` or `custom:<name>` */
  metric: string;
  /** Epoch ms, truncated to the grain. */
  bucketStart: number;
  /** Requests for `requests`, observations otherwise. */
  count: number;
  /** Errors for `requests`, 0 otherwise. */
  errors: number;
  sum: number;
  sumSquares: number;
  min: number | null;
  max: number | null;
  sketch: LogBucketSketch | null;
}

/**
 * Collects deltas into rows keyed by (test, metric, variant, grain, bucket), adding what falls on
 * the same key, and lists them in one fixed order so that concurrent transactions lock shared rows
 * in the same order (no deadlocks).
 */
export class AggregateRowSet {
  private readonly rows = new Map<string, AggregateRow>();

  get size(): number {
    return this.rows.size;
  }

  /** Adds a buffer's deltas at every grain. */
  addBuffer(buffer: DeltaBuffer): void {
    for (const [testId, test] of buffer.tests) {
      for (const variant of ['a', 'b'] as const) {
        const deltas = test[variant];
        if (deltas.requests > 0) this.addRequests(testId, variant, buffer.bucketStart, deltas.requests, deltas.errors);
        if (deltas.latency.count > 0) this.addValues(testId, variant, LATENCY_METRIC, buffer.bucketStart, deltas.latency);
        if (deltas.custom) for (const [metric, values] of deltas.custom) if (values.count > 0) this.addValues(testId, variant, metric, buffer.bucketStart, values);
      }
    }
  }

  addRequests(testId: string, variant: Variant, at: number, requests: number, errors: number): void {
    for (const grain of GRAINS) {
      const row = this.row(grain, testId, variant, REQUESTS_METRIC, truncate(at, grain), false);
      row.count += requests;
      row.errors += errors;
    }
  }

  addValues(testId: string, variant: Variant, metric: string, at: number, values: ValueDeltas): void {
    for (const grain of GRAINS) {
      const row = this.row(grain, testId, variant, metric, truncate(at, grain), true);
      row.count += values.count;
      row.sum += values.sum;
      row.sumSquares += values.sumSquares;
      row.min = row.min === null ? values.min : Math.min(row.min, values.min);
      row.max = row.max === null ? values.max : Math.max(row.max, values.max);
      row.sketch!.merge(values.sketch);
    }
  }

  /** Adds another set's rows (e.g. to write several ingested batches in one statement). */
  addRows(rows: Iterable<AggregateRow>): void {
    for (const source of rows) {
      const row = this.row(source.grain, source.testId, source.variant, source.metric, source.bucketStart, source.sketch !== null);
      row.count += source.count;
      row.errors += source.errors;
      row.sum += source.sum;
      row.sumSquares += source.sumSquares;
      if (source.min !== null) row.min = row.min === null ? source.min : Math.min(row.min, source.min);
      if (source.max !== null) row.max = row.max === null ? source.max : Math.max(row.max, source.max);
      if (source.sketch) row.sketch!.merge(source.sketch);
    }
  }

  /** The rows in lock order: test, metric, variant, grain, bucket. */
  list(): AggregateRow[] {
    return [...this.rows.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, row]) => row);
  }

  private row(grain: Grain, anyCaseTestId: string, variant: Variant, metric: string, bucketStart: number, withSketch: boolean): AggregateRow {
    // One key per stored row: PostgreSQL compares uuids case-insensitively, and an upsert may not
    // touch the same row twice.
    const testId = anyCaseTestId.toLowerCase();
    // Fixed-width bucket (ms since epoch, 15 digits) so the string order is the numeric order.
    const key = `${testId}\u0000${metric}\u0000${variant}\u0000${grain}\u0000${String(bucketStart).padStart(15, '0')}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row = {
        grain,
        testId,
        variant,
        metric,
        bucketStart,
        count: 0,
        errors: 0,
        sum: 0,
        sumSquares: 0,
        min: null,
        max: null,
        sketch: withSketch ? new LogBucketSketch() : null,
      };
      this.rows.set(key, row);
    }
    return row;
  }
}

/** The rows as the column arrays the `unnest` upsert takes. */
export function toUpsertParams(rows: readonly AggregateRow[]): unknown[] {
  const n = rows.length;
  const grain = new Array<string>(n);
  const testId = new Array<string>(n);
  const variant = new Array<string>(n);
  const metric = new Array<string>(n);
  const bucketStart = new Array<string>(n);
  const count = new Array<number>(n);
  const errors = new Array<number>(n);
  const sum = new Array<number>(n);
  const sumSquares = new Array<number>(n);
  const min = new Array<number | null>(n);
  const max = new Array<number | null>(n);
  const sketch = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    grain[i] = row.grain;
    testId[i] = row.testId;
    variant[i] = row.variant;
    metric[i] = row.metric;
    bucketStart[i] = new Date(row.bucketStart).toISOString();
    count[i] = row.count;
    errors[i] = row.errors;
    sum[i] = row.sum;
    sumSquares[i] = row.sumSquares;
    min[i] = row.min;
    max[i] = row.max;
    sketch[i] = row.sketch ? row.sketch.toJson() : null;
  }
  return [grain, testId, variant, metric, bucketStart, count, errors, sum, sumSquares, min, max, sketch];
}

/** Distinct test ids of some rows, sorted (the order their ab_tests rows are locked in). */
export function testIdsOf(rows: readonly AggregateRow[]): string[] {
  return [...new Set(rows.map((row) => row.testId))].sort();
}
