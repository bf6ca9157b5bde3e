import { LogBucketSketch } from './log-bucket-sketch.js';

/** Metric names as stored and as the results name them. */
export const REQUESTS_METRIC = 'requests';
export const LATENCY_METRIC = 'latency_ms';
export const CUSTOM_PREFIX = 'custom:';

/** Custom metric names: lowercase slugs (`accuracy`, `thumbs_up`). */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const MINUTE_MS = 60_000;

export function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;
}

/** Count, moments, extremes and sketch of the values of one metric (latency or a custom metric). */
export class ValueDeltas {
  count = 0;
  sum = 0;
  sumSquares = 0;
  min = Infinity;
  max = -Infinity;
  readonly sketch = new LogBucketSketch();

  /** The caller ensures `value` is finite. */
  add(value: number): void {
    this.count++;
    this.sum += value;
    this.sumSquares += value * value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.sketch.add(value);
  }

  merge(other: ValueDeltas): void {
    this.count += other.count;
    this.sum += other.sum;
    this.sumSquares += other.sumSquares;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.sketch.merge(other.sketch);
  }
}

export class VariantDeltas {
  requests = 0;
  errors = 0;
  readonly latency = new ValueDeltas();
  /** Keyed by the stored metric name (`custom:<name>`); created on the first custom value. */
  custom: Map<string, ValueDeltas> | null = null;
}

export class TestDeltas {
  readonly a = new VariantDeltas();
  readonly b = new VariantDeltas();
}

/**
 * Rows a TestDeltas stands for when counting the buffer against METRICS_BUFFER_MAX_KEYS:
 * requests and latency for each variant. Each custom metric of a variant adds one more.
 */
export const KEYS_PER_TEST = 4;

/** Deltas recorded during (part of) one minute, per test. */
export class DeltaBuffer {
  readonly tests = new Map<string, TestDeltas>();
  /** Aggregate rows this buffer will write at minute grain (see KEYS_PER_TEST). */
  keys = 0;

  constructor(readonly bucketStart: number) {}

  get isEmpty(): boolean {
    return this.tests.size === 0;
  }

  /** Adds another buffer's deltas to this one; returns how many keys this one gained. */
  merge(other: DeltaBuffer): number {
    const before = this.keys;
    for (const [testId, source] of other.tests) {
      let target = this.tests.get(testId);
      if (target === undefined) {
        target = new TestDeltas();
        this.tests.set(testId, target);
        this.keys += KEYS_PER_TEST;
      }
      this.keys += mergeVariant(target.a, source.a) + mergeVariant(target.b, source.b);
    }
    return this.keys - before;
  }
}

function mergeVariant(target: VariantDeltas, source: VariantDeltas): number {
  target.requests += source.requests;
  target.errors += source.errors;
  if (source.latency.count > 0) target.latency.merge(source.latency);
  let added = 0;
  if (source.custom) {
    target.custom ??= new Map();
    for (const [metric, values] of source.custom) {
      let into = target.custom.get(metric);
      if (into === undefined) {
        into = new ValueDeltas();
        target.custom.set(metric, into);
        added++;
      }
      into.merge(values);
    }
  }
  return added;
}
