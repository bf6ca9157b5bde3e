import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';

/** A split as stored: shares in any unit (0.1/0.9 or 10/90), normalised here. */
export interface TrafficSplit {
  a: number;
  b: number;
}

/** Assignments made while one traffic split was in force (one split version). */
export interface SplitVersionAssignments {
  split: TrafficSplit;
  a: number;
  b: number;
}

export interface ChiSquareResult {
  /** +Infinity when a count lands where nothing was expected. */
  chiSquare: number;
  df: number;
  pValue: number;
}

export interface SampleRatioResult {
  /** Expected share of assignments per arm (blended across split versions by their sizes). */
  expected: { a: number; b: number };
  observed: { a: number; b: number };
  chi_square: number | null;
  p_value: number | null;
  mismatch: boolean;
}

/** SRM is flagged this strictly because a false alarm stops a healthy test. */
export const SAMPLE_RATIO_ALPHA = 0.001;

/**
 * Pearson chi-square goodness of fit (scipy.stats.chisquare). Cells expected to be empty are
 * dropped from the sum and the degrees of freedom; a count in such a cell is an impossible
 * outcome under the null, so χ² = ∞ and p = 0.
 */
export function chiSquareGoodnessOfFit(observed: readonly number[], expected: readonly number[]): ChiSquareResult {
  if (observed.length !== expected.length) throw new RangeError('observed and expected differ in length');
  let chiSquare = 0;
  let cells = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i];
    const e = expected[i];
    if (e > 0) {
      chiSquare += ((o - e) * (o - e)) / e;
      cells++;
    } else if (o > 0) {
      chiSquare = Infinity;
    }
  }
  const df = Math.max(0, cells - 1);
  if (chiSquare === Infinity) return { chiSquare, df, pValue: 0 };
  if (df === 0) return { chiSquare: 0, df, pValue: 1 };
  return { chiSquare, df, pValue: Math.min(1, Math.max(0, 1 - chisquareCdf(chiSquare, df))) };
}

/**
 * Sample ratio mismatch across split changes: each assignment counts against the split in force
 * when it was made, so the expected count per arm is Σ_v n_v · share_v over the split versions v. Pooling all
 * assignments against today's split would flag every ramp as a mismatch (and could hide a real one).
 * With no assignments the expected shares are today's split and there is nothing to test.
 */
export function sampleRatioMismatch(versions: readonly SplitVersionAssignments[], currentSplit: TrafficSplit): SampleRatioResult {
  let observedA = 0;
  let observedB = 0;
  let expectedA = 0;
  let expectedB = 0;
  for (const version of versions) {
    const total = version.split.a + version.split.b;
    if (!(total > 0)) throw new RangeError('a traffic split must have a positive total');
    const n = version.a + version.b;
    observedA += version.a;
    observedB += version.b;
    expectedA += (n * version.split.a) / total;
    expectedB += (n * version.split.b) / total;
  }
  const observed = { a: observedA, b: observedB };
  if (observedA + observedB === 0) {
    const total = currentSplit.a + currentSplit.b;
    if (!(total > 0)) throw new RangeError('a traffic split must have a positive total');
    return {
      expected: { a: currentSplit.a / total, b: currentSplit.b / total },
      observed,
      chi_square: null,
      p_value: null,
      mismatch: false,
    };
  }
  const expectedTotal = expectedA + expectedB;
  const { chiSquare, pValue } = chiSquareGoodnessOfFit([observedA, observedB], [expectedA, expectedB]);
  return {
    expected: { a: expectedA / expectedTotal, b: expectedB / expectedTotal },
    observed,
    chi_square: Number.isFinite(chiSquare) ? chiSquare : null,
    p_value: pValue,
    mismatch: pValue < SAMPLE_RATIO_ALPHA,
  };
}
