import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { SampleStats } from './variant-snapshot.js';

export interface WelchTTestResult {
  /** mean_b − mean_a */
  difference: number;
  /** √(var_a/n_a + var_b/n_b) */
  se: number;
  /** null when se = 0 (both arms constant) */
  t: number | null;
  /** Welch–Satterthwaite degrees of freedom; null when se = 0 */
  df: number | null;
  pValue: number;
  ci95: [number, number];
}

/**
 * Welch's unequal-variance t-test from per-arm (n, mean, variance): two-sided p-value and a 95% CI
 * on mean_b − mean_a with Welch–Satterthwaite df, matching scipy's
 * `ttest_ind_from_stats(..., equal_var=False)`. Returns null when either arm has n < 2.
 *
 * When both variances are zero scipy returns nan; here two constant arms with equal means give
 * p = 1 and with different means p = 0 (the limit of the test as the spread vanishes).
 */
export function welchTTest(a: SampleStats, b: SampleStats): WelchTTestResult | null {
  if (a.n < 2 || b.n < 2) return null;
  if (a.variance < 0 || b.variance < 0) throw new RangeError('variance must be non-negative');
  const difference = b.mean - a.mean;
  const wa = a.variance / a.n;
  const wb = b.variance / b.n;
  const se = Math.sqrt(wa + wb);
  if (!(se > 0)) {
    return { difference, se: 0, t: null, df: null, pValue: difference === 0 ? 1 : 0, ci95: [difference, difference] };
  }
  // Shares of the variance rather than se⁴ in the numerator, so tiny variances cannot underflow.
  const ua = wa / (wa + wb);
  const ub = wb / (wa + wb);
  const df = 1 / ((ua * ua) / (a.n - 1) + (ub * ub) / (b.n - 1));
  const t = difference / se;
  const pValue = Math.min(1, 2 * tCdf(-Math.abs(t), df));
  const half = tQuantile(0.975, df) * se;
  return { difference, se, t, df, pValue, ci95: [difference - half, difference + half] };
}
