import { readFileSync } from 'node:fs';
import type { ResultsInput } from './results.js';
import type { VariantSnapshot } from './variant-snapshot.js';

/*
 * Typed access to fixtures/scipy-reference.json, written by scripts/stats-fixtures.py with
 * scipy.stats, and the tolerance the specs hold the implementation to. Test support only (no
 * test-runner import, so it compiles harmlessly into the build).
 */

export interface TestExpectation {
  difference: number;
  p_value: number;
  ci95: [number, number];
  se: number;
  probability_b_better_higher: number;
  probability_b_better_lower: number;
}

export interface TwoProportionCase {
  a: { n: number; events: number };
  b: { n: number; events: number };
  note?: string;
  expected: (TestExpectation & { relative_difference: number | null; z: number | null }) | null;
}

export interface WelchCase {
  a: { n: number; mean: number; variance: number };
  b: { n: number; mean: number; variance: number };
  source: string;
  note?: string;
  moments?: { a: { n: number; sum: number; sumSquares: number }; b: { n: number; sum: number; sumSquares: number } };
  expected: (TestExpectation & { t: number | null; df: number | null }) | null;
}

export interface MsprtCase {
  estimate: number;
  variance: number;
  tau2: number;
  expected: { log_likelihood_ratio: number; p_value: number };
}

export interface RateCase {
  events: number;
  n: number;
  threshold: number;
  expected: { log_likelihood_ratio: number | null; exceeds: boolean; lower_bound: number };
}

export interface SampleRatioCase {
  label: string;
  splitVersions: Array<{ split: { a: number; b: number }; a: number; b: number }>;
  /** mismatch: p < 0.001, decided by the fixture script. */
  expected: { expected_share: number | null; chi_square: number | null; p_value: number | null; mismatch: boolean };
}

export interface SequentialBoundaryCase {
  kind: 'proportion' | 'mean';
  a: { n: number; events: number } | { n: number; sum: number; sumSquares: number };
  b: { n: number; events: number } | { n: number; sum: number; sumSquares: number };
  target_n: number;
  expected: { p_value: number };
}

export interface ResultsCase {
  input: Omit<ResultsInput, 'computedAt' | 'current' | 'looks'> & {
    computedAt: string;
    current: { a: VariantSnapshot; b: VariantSnapshot };
    looks: Array<{ a: VariantSnapshot; b: VariantSnapshot }>;
  };
  expected: {
    sample_ratio: SampleRatioCase['expected'];
    metrics: Array<{
      name: string;
      a: { n: number; mean: number; std_dev?: number };
      b: { n: number; mean: number; std_dev?: number };
      difference: number;
      relative_difference: number;
      ci95: [number, number];
      p_value: number;
      probability_b_better: number;
      sequential_p_value: number;
    }>;
  };
}

export interface ScipyReference {
  scipy_version: string;
  z975: number;
  optimal_variance_ratio_alpha_0_05: number;
  two_proportion: TwoProportionCase[];
  welch: WelchCase[];
  msprt: MsprtCase[];
  rate_exceeds: RateCase[];
  sample_ratio: SampleRatioCase[];
  sequential_boundary: SequentialBoundaryCase[];
  results: ResultsCase;
}

export const scipyReference: ScipyReference = JSON.parse(
  readFileSync(new URL('./fixtures/scipy-reference.json', import.meta.url), 'utf8'),
) as ScipyReference;

/** The agreement the design asks for: 1e-6 relative, or 1e-12 absolute for values near zero. */
export const RELATIVE_TOLERANCE = 1e-6;
export const ABSOLUTE_TOLERANCE = 1e-12;

/** Why `actual` is not within tolerance of scipy's `expected`, or null when it is. */
export function toleranceViolation(actual: number | null | undefined, expected: number | null, label: string): string | null {
  if (expected === null) return actual === null ? null : `${label}: expected null, got ${actual}`;
  if (typeof actual !== 'number') return `${label}: expected ${expected}, got ${actual}`;
  const error = Math.abs(actual - expected);
  const allowed = Math.max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * Math.abs(expected));
  return error <= allowed ? null : `${label}: ${actual} vs scipy ${expected} (off by ${error}, allowed ${allowed})`;
}
