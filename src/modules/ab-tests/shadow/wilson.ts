/** z₀.₉₇₅, the two-sided 95% normal quantile. */
const Z95 = 1.959963984540054;

/**
 * Wilson score interval for a binomial proportion (scipy's `binomtest(k, n).proportion_ci(method="wilson")`,
 * no continuity correction). Unlike the Wald interval it stays inside [0, 1] and is not degenerate at
 * 0 or n successes, which is exactly where an agreement rate of identical models sits. Null when n = 0.
 */
export function wilsonInterval(successes: number, n: number, z: number = Z95): [number, number] | null {
  if (!(n > 0)) return null;
  if (!(successes >= 0 && successes <= n)) throw new RangeError(`invalid counts: ${successes} of ${n}`);
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // The bounds are exactly 0 and 1 at the extremes; rounding would otherwise leave 0.9999999999999999.
  return [successes === 0 ? 0 : Math.max(0, center - half), successes === n ? 1 : Math.min(1, center + half)];
}
