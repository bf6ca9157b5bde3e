import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

export interface ProportionArm {
  /** Trials, e.g. requests. */
  n: number;
  /** Trials with the event, e.g. errors. */
  events: number;
}

export interface TwoProportionTestResult {
  /** p_b − p_a */
  difference: number;
  /** Unpooled standard error of the difference: the CI and P(b better) use it. */
  se: number;
  /** Pooled standard error under H0 (p_a = p_b): the p-value uses it. */
  pooledSe: number;
  /** null when the pooled standard error is zero (both arms all-zero or all-one). */
  z: number | null;
  pValue: number;
  ci95: [number, number];
}

/**
 * Two-sided pooled two-proportion z-test with an unpooled Wald 95% CI on p_b − p_a, the pair
 * DESIGN.md prescribes (the pooled SE is the right null distribution, the unpooled one the right
 * spread of the estimate). Returns null when either arm has fewer than two trials.
 *
 * Degenerate cases, where scipy returns nan: zero pooled variance means both arms are
 * identical at 0 or 1, so p = 1; zero unpooled variance collapses the CI to the point.
 */
export function twoProportionTest(a: ProportionArm, b: ProportionArm): TwoProportionTestResult | null {
  assertArm(a, 'a');
  assertArm(b, 'b');
  if (a.n < 2 || b.n < 2) return null;
  const pa = a.events / a.n;
  const pb = b.events / b.n;
  const difference = pb - pa;
  const pooled = (a.events + b.events) / (a.n + b.n);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  const se = Math.sqrt((pa * (1 - pa)) / a.n + (pb * (1 - pb)) / b.n);
  const z = pooledSe > 0 ? difference / pooledSe : null;
  // 2·Φ(−|z|) rather than 2·(1 − Φ(|z|)) keeps relative precision for tiny p-values.
  const pValue = z === null ? 1 : Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
  const half = normalQuantile(0.975, 0, 1) * se;
  return { difference, se, pooledSe, z, pValue, ci95: [difference - half, difference + half] };
}

function assertArm(arm: ProportionArm, label: string): void {
  if (!Number.isInteger(arm.n) || !Number.isInteger(arm.events) || arm.n < 0 || arm.events < 0 || arm.events > arm.n) {
    throw new RangeError(`invalid proportion arm ${label}: ${arm.events} events in ${arm.n} trials`);
  }
}
