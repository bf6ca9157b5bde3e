/**
 * Always-valid one-sided test that a Bernoulli rate exceeds a threshold p₀ (an error rate above
 * `max_error_rate`, or more than 5% of requests slower than `max_latency_ms`).
 *
 * For any p₁ > p₀ the likelihood ratio Π (p₁/p₀)^x ((1−p₁)/(1−p₀))^(1−x) has expectation ≤ 1 per
 * observation whenever the true rate is ≤ p₀, so it and any mixture of such ratios is a
 * non-negative supermartingale under H₀: p ≤ p₀. By Ville's inequality the chance it ever reaches
 * 1/α is ≤ α, however often it is checked. The mixture is over p₁ = k·p₀ for the ratios below,
 * equally weighted; alternatives with p₁ ≥ 1 contribute nothing (which only makes it conservative
 * and keeps it decreasing in p₀, so it can be inverted into a lower confidence bound).
 */

export const RATE_RATIO_GRID: readonly number[] = [1.1, 1.25, 1.5, 2, 3, 5, 10, 20, 50, 100];

/** ln of the mixture likelihood ratio for `events` in `n` trials against rate `threshold`. */
export function rateExceedanceLogLikelihoodRatio(events: number, n: number, threshold: number): number {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`threshold must be in (0, 1): ${threshold}`);
  if (!(events >= 0 && events <= n)) throw new RangeError(`invalid counts: ${events} of ${n}`);
  const terms: number[] = [];
  for (const ratio of RATE_RATIO_GRID) {
    const alternative = ratio * threshold;
    if (alternative >= 1) continue;
    // Both logarithms are finite (ratio > 1, alternative < 1), so zero events or misses add 0.
    terms.push(events * Math.log(ratio) + (n - events) * (Math.log1p(-alternative) - Math.log1p(-threshold)));
  }
  return logSumExp(terms) - Math.log(RATE_RATIO_GRID.length);
}

/** True when the data show, at level α and valid under continuous monitoring, that rate > threshold. */
export function rateExceedsThreshold(events: number, n: number, threshold: number, alpha: number): boolean {
  return rateExceedanceLogLikelihoodRatio(events, n, threshold) >= Math.log(1 / alpha);
}

/**
 * Always-valid (1 − α) lower confidence bound on the rate: the largest p₀ the test above still
 * rejects. 0 when no p₀ is rejected.
 */
export function rateLowerBound(events: number, n: number, alpha: number): number {
  const target = Math.log(1 / alpha);
  const rejects = (logP: number): boolean => rateExceedanceLogLikelihoodRatio(events, n, Math.exp(logP)) >= target;
  // Bisect ln p₀ between ln 1e-300 (not MIN_VALUE, whose neighbourhood is subnormal) and the
  // observed rate, where every alternative fits worse than p₀ itself, so it is never rejected
  // (nor is any p₀ when there are no events: every term is then negative).
  let lo = Math.log(1e-300);
  let hi = Math.log(events / n);
  if (!rejects(lo)) return 0;
  // The bracket is < 700 wide: 100 halvings take it below the spacing of doubles.
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (rejects(mid)) lo = mid;
    else hi = mid;
  }
  return Math.exp(lo);
}

function logSumExp(values: number[]): number {
  if (values.length === 0) return -Infinity;
  const max = Math.max(...values);
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}
