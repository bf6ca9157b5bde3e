import type { Moments, VariantSnapshot } from './variant-snapshot.js';

/** Moments of raw values, as the aggregates would hold them. */
export function momentsOf(values: readonly number[]): Moments {
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
  }
  return { n: values.length, sum, sumSquares };
}

/** Moments with a given n, mean and sample variance (n − 1), without materialising values. */
export function momentsFrom(n: number, mean: number, variance: number): Moments {
  const sum = n * mean;
  return { n, sum, sumSquares: variance * (n - 1) + (sum * sum) / Math.max(n, 1) };
}

/** A VariantSnapshot for tests and benchmarks: empty unless told otherwise. */
export function buildSnapshot(overrides: Partial<Omit<VariantSnapshot, 'latency'>> & { latency?: Partial<VariantSnapshot['latency']> } = {}): VariantSnapshot {
  return {
    requests: overrides.requests ?? 0,
    errors: overrides.errors ?? 0,
    latency: { n: 0, sum: 0, sumSquares: 0, p50: null, p95: null, p99: null, ...overrides.latency },
    custom: overrides.custom ?? {},
  };
}
