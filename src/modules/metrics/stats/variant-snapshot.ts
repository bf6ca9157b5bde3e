/**
 * Raw sums rather than mean and variance, so aggregates from any number of time buckets (and
 * instances) merge by plain addition before the statistics see them.
 */
export interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

/** Latency quantiles come from the mergeable sketch; null when the sketch is empty. */
export interface LatencySnapshot extends Moments {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Everything recorded for one variant up to one point in time (cumulative, never a delta). */
export interface VariantSnapshot {
  requests: number;
  errors: number;
  latency: LatencySnapshot;
  custom: Record<string, Moments>;
}

/** Per-arm summary the tests take: the sufficient statistics of Welch's t-test. */
export interface SampleStats {
  n: number;
  mean: number;
  variance: number;
}

/*
 * Below this share of sumSquares the computed sum of squared deviations is rounding noise from
 * the subtraction (a double carries ~16 digits, and the stored sums were themselves accumulated
 * in floating point), so a constant metric would otherwise report a tiny spurious variance.
 */
const CANCELLATION_FLOOR = 1e-12;

export function sampleMean(m: Moments): number | null {
  return m.n > 0 ? m.sum / m.n : null;
}

/** Sample variance (n − 1 denominator); null below two observations, never negative. */
export function sampleVariance(m: Moments): number | null {
  if (m.n < 2) return null;
  const squaredDeviations = m.sumSquares - m.sum * (m.sum / m.n);
  if (!(squaredDeviations > m.sumSquares * CANCELLATION_FLOOR)) return 0;
  return squaredDeviations / (m.n - 1);
}

/** Mean and variance of the sums, or null when Welch's t-test is undefined (n < 2). */
export function toSampleStats(m: Moments): SampleStats | null {
  const mean = sampleMean(m);
  const variance = sampleVariance(m);
  return mean === null || variance === null ? null : { n: m.n, mean, variance };
}
