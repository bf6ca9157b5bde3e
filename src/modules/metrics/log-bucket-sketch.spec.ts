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

  describe('every bucket, by hand (γ = 1.01/0.99: bucket i reports 2γ^i/(γ + 1), values from Python)', () => {
    // −5 → n81 (reports −5.002829575110705), −0.5 → n−34 (−0.5015394534033261), ±1e-9 and 0 → z,
    // 2 → 35 (1.993661701417345), 100 → 231 (100.49456770856496).
    const mixed = (): LogBucketSketch => {
      const sketch = new LogBucketSketch();
      for (const v of [-5, -5, -0.5, 0, 1e-9, -1e-9, 2, 2, 100]) sketch.add(v);
      return sketch;
    };
    const visits = (sketch: LogBucketSketch): Array<[number, number]> => {
      const out: Array<[number, number]> = [];
      sketch.forEachBucket((value, count) => out.push([value, count]));
      return out;
    };
    const expectValues = (actual: Array<[number, number]>, expected: Array<[number, number]>): void => {
      expect(actual.map(([, count]) => count)).toEqual(expected.map(([, count]) => count));
      actual.forEach(([value], i) => expect(value).toBeCloseTo(expected[i]![0], 12));
    };

    it('counts ±1e-9 (the threshold itself) as zero', () => {
      expect(mixed().toCounts()).toEqual({ n81: 2, 'n-34': 1, z: 3, '35': 2, '231': 1 });
      expect(mixed().count).toBe(9);
    });

    it('serialises zero first, then positive and negative buckets by index', () => {
      expect(mixed().toJson()).toBe('{"z":3,"35":2,"231":1,"n-34":1,"n81":2}');
      const positiveOnly = new LogBucketSketch();
      positiveOnly.add(2);
      positiveOnly.add(100);
      expect(positiveOnly.toJson()).toBe('{"35":1,"231":1}');
    });

    it('visits the buckets in ascending value order', () => {
      expectValues(visits(mixed()), [[-5.002829575110705, 2], [-0.5015394534033261, 1], [0, 3], [1.993661701417345, 2], [100.49456770856496, 1]]);
      const positiveOnly = new LogBucketSketch();
      positiveOnly.add(100);
      positiveOnly.add(2);
      expectValues(visits(positiveOnly), [[1.993661701417345, 1], [100.49456770856496, 1]]);
    });

    it('counts non-empty buckets', () => {
      expect(mixed().bucketCount).toBe(5);
      const repeated = new LogBucketSketch();
      for (let i = 0; i < 3; i++) repeated.add(7);
      expect(repeated.bucketCount).toBe(1);
      expect(new LogBucketSketch().bucketCount).toBe(0);
    });

    it('reads quantiles in any order (sorted: −5 −5 −0.5 0 0 0 2 2 100; rank ⌊8q⌋)', () => {
      const sketch = mixed();
      const [max, median, min] = sketch.quantiles([1, 0.5, 0]);
      expect(max).toBeCloseTo(100.49456770856496, 12);
      expect(median).toBe(0);
      expect(min).toBeCloseTo(-5.002829575110705, 12);
      expect(sketch.quantile(0.25)).toBeCloseTo(-0.5015394534033261, 12);
      expect(sketch.quantile(0.75)).toBeCloseTo(1.993661701417345, 12);
      expect(sketch.quantiles([Number.NaN])).toStrictEqual([null]);
    });

    it('counts values above negative, zero and positive thresholds', () => {
      const sketch = mixed();
      expect(sketch.countAbove(-10)).toBe(9);
      expect(sketch.countAbove(-1)).toBe(7);
      expect(sketch.countAbove(0)).toBe(3);
      expect(sketch.countAbove(10)).toBe(1);
      // A bucket whose reported value equals the threshold is not above it.
      expect(sketch.countAbove(bucketValue(231))).toBe(0);
      expect(sketch.countAbove(-bucketValue(-34))).toBe(6);
      const positiveOnly = new LogBucketSketch();
      positiveOnly.add(2);
      positiveOnly.add(100);
      expect(positiveOnly.countAbove(-1)).toBe(2);
    });

    it('reads the bucket at the very start of the negative array (−100 → n231, −53 → n199 = 231 − 32)', () => {
      const sketch = new LogBucketSketch();
      sketch.add(-100);
      sketch.add(-53);
      expect(sketch.toCounts()).toEqual({ n231: 1, n199: 1 });
      expectValues(visits(sketch), [[-100.49456770856496, 1], [-52.98889370058527, 1]]);
      const [min, max] = sketch.quantiles([0, 1]);
      expect(min).toBeCloseTo(-100.49456770856496, 12);
      expect(max).toBeCloseTo(-52.98889370058527, 12);
    });

    it('merges zero counts', () => {
      const zeros = new LogBucketSketch();
      zeros.add(0);
      zeros.add(0);
      const merged = new LogBucketSketch();
      merged.add(5);
      merged.merge(zeros);
      expect(merged.toCounts()).toEqual({ z: 2, '81': 1 });
      expect(merged.count).toBe(3);
    });

    it('ignores serialised counts that are not positive', () => {
      const sketch = LogBucketSketch.fromCounts({ z: 0, '10': 0, n3: -2, '11': Number.NaN });
      expect(sketch.toCounts()).toEqual({});
      expect(sketch.count).toBe(0);
      expect(sketch.bucketCount).toBe(0);
    });

    it('grows its dense array with headroom on the side that grew, and only when it must', () => {
      const sketch = new LogBucketSketch();
      const layout = (): [number, number] => {
        const dense = (sketch as unknown as { positive: { offset: number; counts: Float64Array } }).positive;
        return [dense.offset, dense.counts.length];
      };
      sketch.addKey('1000', 1); // first bucket: 32 slots below it, 128 in all
      expect(layout()).toEqual([968, 128]);
      sketch.addKey('968', 1); // the lowest slot: no growth
      expect(layout()).toEqual([968, 128]);
      sketch.addKey('1100', 1); // above: doubled, 256 ≥ 1101 − 968 + 64
      expect(layout()).toEqual([968, 256]);
      sketch.addKey('1500', 1); // above: 1501 − 968 + 64 = 597 > 512
      expect(layout()).toEqual([968, 597]);
      sketch.addKey('500', 1); // below: 2 · 597 = 1194 ≥ 1565 − 500 + 64, ending at 968 + 597 = 1565
      expect(layout()).toEqual([371, 1194]);
      expect(sketch.toCounts()).toEqual({ '500': 1, '968': 1, '1000': 1, '1100': 1, '1500': 1 });
    });
  });
});
