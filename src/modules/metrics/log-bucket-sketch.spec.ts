import { describe, expect, it } from 'vitest';
import { bucketIndex, bucketValue, LogBucketSketch, SKETCH_GAMMA, SKETCH_RELATIVE_ACCURACY } from './log-bucket-sketch.js';
import { mulberry32 } from './stats/mulberry32.js';

function normal(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** The element of rank ⌊q·(n − 1)⌋: the one the sketch promises to be within 1% of. */
function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

const distributions: Array<[string, (u: () => number) => () => number]> = [
  ['uniform 0–1000 ms', (u) => () => u() * 1000],
  ['log-normal latency (median 120 ms, σ 0.5)', (u) => { const z = normal(u); return () => 120 * Math.exp(0.5 * z()); }],
  ['exponential (mean 40 ms)', (u) => () => -40 * Math.log(1 - u())],
  ['heavy tail (Pareto α 1.5 from 1 ms)', (u) => () => 1 / Math.pow(1 - u(), 1 / 1.5)],
  ['a third zeros, the rest 0.001–10 s', (u) => () => (u() < 1 / 3 ? 0 : Math.pow(10, -3 + 7 * u()))],
  ['normal around 0 (negative custom values)', (u) => { const z = normal(u); return () => 5 * z(); }],
  ['accuracy scores 0–1', (u) => () => Math.round(u() * 100) / 100],
];

describe('LogBucketSketch', () => {
  it('uses γ = (1 + α)/(1 − α) with α = 1%', () => {
    expect(SKETCH_RELATIVE_ACCURACY).toBe(0.01);
    expect(SKETCH_GAMMA).toBeCloseTo(1.01 / 0.99, 15);
  });

  it('reports every value of a bucket within 1%', () => {
    for (const value of [1e-6, 0.5, 1, 1.0202, 7, 120, 99_999, 3.2e9]) {
      const reported = bucketValue(bucketIndex(value));
      expect(Math.abs(reported - value) / value).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY + 1e-12);
    }
  });

  it.each(distributions)('%s: quantiles within 1%% of the exact ones (50,000 values)', (_name, make) => {
    const next = make(mulberry32(42));
    const sketch = new LogBucketSketch();
    const values = new Float64Array(50_000);
    for (let i = 0; i < values.length; i++) {
      values[i] = next();
      sketch.add(values[i]!);
    }
    values.sort();
    const estimates = sketch.quantiles(QUANTILES);
    QUANTILES.forEach((q, i) => {
      const exact = exactQuantile(values, q);
      const estimate = estimates[i]!;
      if (Math.abs(exact) <= 1e-9) expect(estimate).toBe(0);
      else expect(Math.abs(estimate - exact) / Math.abs(exact)).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY + 1e-12);
    });
    expect(sketch.count).toBe(values.length);
  });

  it('counts latency 0 in the zero bucket', () => {
    const sketch = new LogBucketSketch();
    for (let i = 0; i < 10; i++) sketch.add(0);
    sketch.add(5);
    expect(sketch.toCounts()).toEqual({ z: 10, [String(bucketIndex(5))]: 1 });
    expect(sketch.quantiles([0.5, 1])).toEqual([0, bucketValue(bucketIndex(5))]);
  });

  it('is empty: null quantiles', () => {
    expect(new LogBucketSketch().quantiles([0.5, 0.99])).toEqual([null, null]);
  });

  it('merging sketches equals sketching everything (and its serialised form round-trips)', () => {
    const u = mulberry32(7);
    const whole = new LogBucketSketch();
    const parts = [new LogBucketSketch(), new LogBucketSketch(), new LogBucketSketch()];
    for (let i = 0; i < 30_000; i++) {
      // Parts see disjoint ranges, so merging must grow the dense arrays in both directions.
      const part = i % 3;
      const value = part === 0 ? u() * 0.01 : part === 1 ? 1000 + u() * 1e6 : -u() * 50;
      whole.add(value);
      parts[part]!.add(value);
    }
    const merged = new LogBucketSketch();
    for (const part of parts) merged.merge(part);
    expect(merged.toCounts()).toEqual(whole.toCounts());
    expect(JSON.parse(merged.toJson())).toEqual(whole.toCounts());
    expect(LogBucketSketch.fromCounts(JSON.parse(whole.toJson()) as Record<string, number>).toCounts()).toEqual(whole.toCounts());
    expect(merged.quantiles(QUANTILES)).toEqual(whole.quantiles(QUANTILES));
  });

  it('adds serialised counts key by key, as metric_sketch_merge does in SQL', () => {
    const sketch = LogBucketSketch.fromCounts({ z: 2, '10': 3, n5: 1 });
    sketch.mergeCounts({ '10': 4, '11': 1 });
    expect(sketch.toCounts()).toEqual({ z: 2, '10': 7, '11': 1, n5: 1 });
    expect(sketch.count).toBe(11);
  });

  it('counts values above a threshold (guardrail latency exceedances)', () => {
    const sketch = new LogBucketSketch();
    for (let ms = 1; ms <= 1000; ms++) sketch.add(ms);
    // Exact but for the bucket straddling the threshold.
    expect(Math.abs(sketch.countAbove(200) - 800)).toBeLessThanOrEqual(4);
    expect(sketch.countAbove(5000)).toBe(0);
    expect(sketch.countAbove(0)).toBe(1000);
  });
});
