import { describe, expect, it } from 'vitest';
import { probabilityBBetter } from './effect-size.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';
import { toSampleStats } from './variant-snapshot.js';
import { welchTTest } from './welch-t-test.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

describe('welchTTest against scipy.stats', () => {
  const cases = scipyReference.welch;

  it('has a fixture with edge cases', () => {
    expect(cases.length).toBeGreaterThan(30);
    expect(cases.filter((c) => c.expected === null)).toHaveLength(2);
    expect(cases.filter((c) => c.source.startsWith('samples:')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(cases.map((c, i) => [`#${i} ${c.source} n=${c.a.n}/${c.b.n}`, c] as const))('%s', (_label, c) => {
    const result = welchTTest(c.a, c.b);
    if (c.expected === null) {
      expect(result).toBeNull();
      return;
    }
    expect(result).not.toBeNull();
    const r = result!;
    const e = c.expected;
    expectClose(r.difference, e.difference, 'difference');
    expectClose(r.t, e.t, 't');
    expectClose(r.df, e.df, 'df');
    expectClose(r.pValue, e.p_value, 'p_value');
    expectClose(r.ci95[0], e.ci95[0], 'ci95 low');
    expectClose(r.ci95[1], e.ci95[1], 'ci95 high');
    expectClose(r.se, e.se, 'se');
    expectClose(probabilityBBetter(r.difference, r.se, true), e.probability_b_better_higher, 'P(b better), higher is better');
    expectClose(probabilityBBetter(r.difference, r.se, false), e.probability_b_better_lower, 'P(b better), lower is better');
  });

  it('rejects a negative variance in either arm', () => {
    const message = new RangeError('variance must be non-negative');
    expect(() => welchTTest({ n: 5, mean: 1, variance: -1 }, { n: 5, mean: 1, variance: 1 })).toThrow(message);
    expect(() => welchTTest({ n: 5, mean: 1, variance: 1 }, { n: 5, mean: 1, variance: -1 })).toThrow(message);
  });

  it('compares nothing while either arm has fewer than 2 observations', () => {
    expect(welchTTest({ n: 1, mean: 1, variance: 0 }, { n: 5, mean: 2, variance: 1 })).toBeNull();
    expect(welchTTest({ n: 5, mean: 1, variance: 1 }, { n: 1, mean: 2, variance: 0 })).toBeNull();
  });
});

describe('raw sums reproduce numpy mean and variance (ddof = 1)', () => {
  const withMoments = scipyReference.welch.filter((c) => c.moments !== undefined);

  it.each(withMoments.filter((c) => !c.source.includes('large mean')).map((c) => [c.source, c] as const))('%s', (_label, c) => {
    for (const arm of ['a', 'b'] as const) {
      const stats = toSampleStats(c.moments![arm])!;
      expect(stats.n).toBe(c[arm].n);
      expect(Math.abs(stats.mean - c[arm].mean)).toBeLessThanOrEqual(1e-12 * Math.abs(c[arm].mean) + 1e-15);
      expect(Math.abs(stats.variance - c[arm].variance)).toBeLessThanOrEqual(1e-9 * c[arm].variance);
    }
  });

  it('collapses to zero, not to noise or a negative number, when the spread is below the precision of the sums', () => {
    // Values 1e6 ± 1e-3: the squared deviations are 1e-18 of the sum of squares, beyond a double.
    const c = withMoments.find((x) => x.source.includes('large mean'))!;
    expect(c.a.variance).toBeGreaterThan(0);
    expect(toSampleStats(c.moments!.a)!.variance).toBe(0);
  });
});
