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
    const misses = n - events;
    terms.push(
      (events > 0 ? events * Math.log(ratio) : 0) +
        (misses > 0 ? misses * (Math.log1p(-alternative) - Math.log1p(-threshold)) : 0),
    );
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
  if (events === 0 || n === 0) return 0;
  const target = Math.log(1 / alpha);
  const logLr = (p: number): number => rateExceedanceLogLikelihoodRatio(events, n, p);
  let lo = 1e-300; // not MIN_VALUE: the geometric midpoint √(lo·hi) would underflow to 0
  let hi = events / n;
  if (logLr(lo) < target) return 0;
  if (hi >= 1) hi = 1 - Number.EPSILON / 2;
  // At the observed rate every alternative fits worse than p₀ itself, so hi is never rejected.
  for (let i = 0; i < 2000 && hi - lo > 1e-15 * hi; i++) {
    // Bisect geometrically while the bracket spans orders of magnitude, then arithmetically.
    const mid = hi / lo > 4 ? Math.sqrt(lo * hi) : (lo + hi) / 2;
    if (logLr(mid) >= target) lo = mid;
    else hi = mid;
  }
  return lo;
}

function logSumExp(values: number[]): number {
  if (values.length === 0) return -Infinity;
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}
