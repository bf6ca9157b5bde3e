import { describe, expect, it } from 'vitest';
import {
  alwaysValidPValue,
  DEFAULT_TARGET_N,
  MIN_TARGET_N,
  mixtureVariance,
  msprtLogLikelihoodRatio,
  msprtPValue,
  optimalVarianceRatio,
} from './msprt.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

describe('mSPRT likelihood ratio against scipy.stats', () => {
  it.each(scipyReference.msprt.map((c) => [`θ̂=${c.estimate} V=${c.variance} τ²=${c.tau2}`, c] as const))('%s', (_label, c) => {
    expectClose(msprtLogLikelihoodRatio(c), c.expected.log_likelihood_ratio, 'ln Λ');
    expectClose(msprtPValue(c), c.expected.p_value, 'p');
  });

  it('solves for the boundary-minimising variance ratio as scipy does', () => {
    expectClose(optimalVarianceRatio(0.05), scipyReference.optimal_variance_ratio_alpha_0_05, 'r*');
  });
});

describe('mixture variance tuning', () => {
  // |z| a look must reach for p < α when τ²/V = r.
  const boundary = (r: number, alpha = 0.05): number => Math.sqrt((1 + 1 / r) * (2 * Math.log(1 / alpha) + Math.log1p(r)));

  it('makes the rejection boundary narrowest when each arm reaches the target n', () => {
    const sigma2 = 900;
    const target = 4000;
    const tau2 = mixtureVariance(sigma2, target);
    const zAt = (n: number): number => boundary(tau2 / ((2 * sigma2) / n));
    expect(zAt(target)).toBeLessThan(zAt(target * 0.7));
    expect(zAt(target)).toBeLessThan(zAt(target * 1.4));
    // ≈ 3.04 instead of 1.96: the price of being allowed to look at every flush.
    expect(zAt(target)).toBeCloseTo(3.035, 3);
  });

  it('scales with the per-observation variance, so the test is unit-free', () => {
    expect(mixtureVariance(4, 1000) / mixtureVariance(1, 1000)).toBeCloseTo(4, 12);
    const inMs = msprtPValue({ estimate: 5, variance: 4, tau2: mixtureVariance(900, 1000) });
    const inSeconds = msprtPValue({ estimate: 0.005, variance: 4e-6, tau2: mixtureVariance(900e-6, 1000) });
    expect(inSeconds).toBeCloseTo(inMs, 12);
  });

  it('defaults and clamps the target n', () => {
    expect(mixtureVariance(1)).toBe(mixtureVariance(1, DEFAULT_TARGET_N));
    expect(mixtureVariance(1, 3)).toBe(mixtureVariance(1, MIN_TARGET_N));
    expect(mixtureVariance(1, Number.NaN)).toBe(mixtureVariance(1, DEFAULT_TARGET_N));
  });
});

describe('msprtPValue edge cases', () => {
  it.each([
    ['no difference', { estimate: 0, variance: 1, tau2: 1 }, 1],
    ['zero variance, no difference', { estimate: 0, variance: 0, tau2: 0 }, 1],
    ['zero variance, a difference', { estimate: 0.1, variance: 0, tau2: 0 }, 0],
    ['zero mixture variance', { estimate: 10, variance: 1, tau2: 0 }, 1],
    // Without the guard: r = −0.25, ln Λ = −½ ln 0.75 + (0.25 · −0.25)/(2 · 0.75) ≈ +0.102, p ≈ 0.90.
    ['negative mixture variance: no mixture, no evidence', { estimate: 1, variance: 4, tau2: -1 }, 1],
    ['NaN mixture variance', { estimate: 10, variance: 1, tau2: Number.NaN }, 1],
    ['small z: capped at 1', { estimate: 0.5, variance: 1, tau2: 8 }, 1],
  ])('%s', (_label, input, expected) => {
    expect(msprtPValue(input)).toBe(expected);
  });

  it('never exceeds the fixed-horizon evidence: p ≥ the two-sided z-test p at the same look', () => {
    for (const z of [1, 2, 3, 4, 5]) {
      const p = msprtPValue({ estimate: z, variance: 1, tau2: 8 });
      const fixed = 2 * (1 - 0.5 * (1 + erf(z / Math.SQRT2)));
      expect(p).toBeGreaterThan(fixed);
    }
  });
});

describe('alwaysValidPValue', () => {
  it.each([
    [[], 1],
    [[0.8, 0.3, 0.6], 0.3],
    [[1, 1, 0.04, 0.5], 0.04],
    [[0.2], 0.2],
  ])('running minimum of %o is %d', (looks, expected) => {
    expect(alwaysValidPValue(looks)).toBe(expected);
  });
});

// Abramowitz–Stegun 7.1.26 is plenty for an inequality check (|error| < 1.5e-7).
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
