import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

/**
 * (b − a) / a; null when a is 0 because the ratio is then undefined, not infinite (and likewise
 * when a is so close to 0 that the ratio overflows).
 */
export function relativeDifference(a: number, b: number): number | null {
  // a = 0 gives ±Infinity or NaN here.
  const relative = (b - a) / a;
  return Number.isFinite(relative) ? relative : null;
}

/**
 * Relative change in b's favour: (b − a)/a when higher is better, (a − b)/a otherwise, so a
 * positive number always means b is better. null when a is 0.
 */
export function relativeImprovement(a: number, b: number, higherIsBetter: boolean): number | null {
  const relative = relativeDifference(a, b);
  if (relative === null) return null;
  // 0 − x rather than −x: JSON has no −0, and a round trip must not change the document.
  return higherIsBetter ? relative : 0 - relative;
}

/**
 * Posterior probability that b beats a under a flat prior and a normal likelihood for the
 * difference: Φ(d/se) when higher is better, Φ(−d/se) otherwise. With se = 0 the posterior is a
 * point mass, so the answer is 0, ½ or 1.
 */
export function probabilityBBetter(difference: number, se: number, higherIsBetter: boolean): number {
  const signed = higherIsBetter ? difference : -difference;
  if (!(se > 0)) return signed > 0 ? 1 : signed < 0 ? 0 : 0.5;
  return normalCdf(signed / se, 0, 1);
}
