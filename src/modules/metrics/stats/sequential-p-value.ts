import { MIN_SEQUENTIAL_N, mixtureVariance, msprtPValue } from './msprt.js';
import type { ProportionArm } from './two-proportion-test.js';
import { toSampleStats, type Moments } from './variant-snapshot.js';

/*
 * The mSPRT p-value at a single look, per metric kind. τ² is scaled by the metric's own
 * per-observation variance so the test does not depend on the unit (ms or s, 0/1 or %), and tuned
 * to be sharpest at `targetN` per arm (see mixtureVariance). Looks with fewer than
 * MIN_SEQUENTIAL_N per arm give p = 1: no evidence rather than an over-confident one.
 */

/** mSPRT p-value at one look for error rate, with the pooled (null-hypothesis) variance. */
export function proportionSequentialPValue(a: ProportionArm, b: ProportionArm, targetN: number): number {
  if (a.n < MIN_SEQUENTIAL_N || b.n < MIN_SEQUENTIAL_N) return 1;
  const pooled = (a.events + b.events) / (a.n + b.n);
  const unitVariance = pooled * (1 - pooled);
  return msprtPValue({
    estimate: b.events / b.n - a.events / a.n,
    variance: unitVariance * (1 / a.n + 1 / b.n),
    tau2: mixtureVariance(unitVariance, targetN),
  });
}

/**
 * mSPRT p-value at one look for a mean, with Welch's variance of the difference; τ² is scaled by
 * the pooled per-observation variance so the test is invariant to the metric's unit.
 */
export function meanSequentialPValue(a: Moments, b: Moments, targetN: number): number {
  if (a.n < MIN_SEQUENTIAL_N || b.n < MIN_SEQUENTIAL_N) return 1;
  const sa = toSampleStats(a);
  const sb = toSampleStats(b);
  if (sa === null || sb === null) return 1;
  const unitVariance = ((sa.n - 1) * sa.variance + (sb.n - 1) * sb.variance) / (sa.n + sb.n - 2);
  return msprtPValue({
    estimate: sb.mean - sa.mean,
    variance: sa.variance / sa.n + sb.variance / sb.n,
    tau2: mixtureVariance(unitVariance, targetN),
  });
}
