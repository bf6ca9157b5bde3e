/**
 * Mixture sequential probability ratio test (mSPRT) with a normal mixture, after Johari, Pekelis
 * & Walsh, "Always valid inference" (2017). For an estimate θ̂ of a difference with sampling
 * variance V and the mixture θ ~ N(0, τ²), the likelihood ratio against θ = 0 is
 *
 *   Λ = N(θ̂; 0, V + τ²) / N(θ̂; 0, V) = √(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))
 *
 * Λ is a martingale under the null, so 1/Λ is a p-value that stays valid however often it is
 * looked at, provided the running minimum over all looks is reported.
 */

/** Significance level the mixture is tuned for and `significant` is judged at. */
export const SEQUENTIAL_ALPHA = 0.05;

/** Per-arm sample size the mixture is tuned for when the test declares no `min_requests`. */
export const DEFAULT_TARGET_N = 5000;

/** Tuning for fewer than this many per arm would waste the test on the noisiest looks. */
export const MIN_TARGET_N = 100;

/*
 * Looks with fewer observations per arm contribute no evidence: Λ uses a plug-in variance, and
 * below ~30 its estimation error makes the normal likelihood markedly too optimistic.
 */
export const MIN_SEQUENTIAL_N = 30;

export interface MsprtInput {
  /** Observed difference θ̂ (b − a). */
  estimate: number;
  /** Sampling variance of θ̂ under the null. */
  variance: number;
  /** Mixture variance τ². */
  tau2: number;
}

/**
 * The ratio r = τ²/V at which the mSPRT rejection boundary |z| ≥ √((1 + 1/r)(2 ln(1/α) + ln(1 + r)))
 * is narrowest; it solves r = 2 ln(1/α) + ln(1 + r) (≈ 8.21 for α = 0.05).
 */
export function optimalVarianceRatio(alpha: number = SEQUENTIAL_ALPHA): number {
  const c = 2 * Math.log(1 / alpha);
  let r = c;
  // A contraction with factor 1/(1 + r) (< 0.3 for α ≤ 0.5): 50 steps reach double precision.
  for (let i = 0; i < 50; i++) r = c + Math.log1p(r);
  return r;
}

/**
 * Mixture variance τ² = r* · 2σ²/n*: the variance of the difference of two arms with n* each,
 * times the ratio r* at which the boundary is narrowest. The test is then sharpest when each arm
 * reaches n* (the declared `min_requests`, when the test may first conclude) and stays valid
 * before and after. `unitVariance` is the per-observation variance σ².
 */
export function mixtureVariance(unitVariance: number, targetN: number = DEFAULT_TARGET_N, alpha: number = SEQUENTIAL_ALPHA): number {
  const n = Math.max(MIN_TARGET_N, Number.isFinite(targetN) ? targetN : DEFAULT_TARGET_N);
  return (optimalVarianceRatio(alpha) * 2 * unitVariance) / n;
}

/** ln Λ; +Infinity when V = 0 and θ̂ ≠ 0 (a certain difference), 0 when there is no evidence. */
export function msprtLogLikelihoodRatio({ estimate, variance, tau2 }: MsprtInput): number {
  if (!(variance > 0)) return estimate === 0 ? 0 : Infinity;
  if (!(tau2 > 0)) return 0;
  const r = tau2 / variance;
  const z2 = (estimate * estimate) / variance;
  return -0.5 * Math.log1p(r) + (z2 * r) / (2 * (1 + r));
}

/** min(1, 1/Λ) at one look. */
export function msprtPValue(input: MsprtInput): number {
  const logLr = msprtLogLikelihoodRatio(input);
  return logLr <= 0 ? 1 : Math.exp(-logLr);
}

/** Always-valid p-value after a sequence of looks: the running minimum, 1 before any look. */
export function alwaysValidPValue(pValuesAtLooks: Iterable<number>): number {
  let p = 1;
  for (const value of pValuesAtLooks) if (value < p) p = value;
  return p;
}
