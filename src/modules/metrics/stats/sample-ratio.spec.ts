import { describe, expect, it } from 'vitest';
import { chiSquareGoodnessOfFit, sampleRatioMismatch } from './sample-ratio.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

describe('sampleRatioMismatch against scipy.stats.chisquare', () => {
  it.each(scipyReference.sample_ratio.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const result = sampleRatioMismatch(c.splitVersions, { a: 0.5, b: 0.5 });
    expectClose(result.chi_square, c.expected.chi_square, 'chi_square');
    expectClose(result.p_value, c.expected.p_value, 'p_value');
    if (c.expected.expected_share !== null) {
      expectClose(result.expected.a, c.expected.expected_share, 'expected share of a');
      expectClose(result.expected.a + result.expected.b, 1, 'shares sum to 1');
    }
    expect(result.observed).toEqual({ a: c.splitVersions.reduce((s, p) => s + p.a, 0), b: c.splitVersions.reduce((s, p) => s + p.b, 0) });
    // The fixture decides at α = 0.001 on its own (scripts/stats-fixtures.py), not with our constant.
    expect(result.mismatch).toBe(c.expected.mismatch);
  });

  // Written out: flagged strictly below p = 0.001. A looser threshold (0.01, 0.05) flags the first,
  // a stricter one (1e-4) misses the second.
  it.each([
    ['near the cutoff, p ~ 0.005: not a mismatch', 0.0051, false],
    ['near the cutoff, p ~ 0.0005: a mismatch', 0.0005, true],
  ] as const)('%s', (label, p, mismatch) => {
    const c = scipyReference.sample_ratio.find((x) => x.label === label)!;
    expect(c.expected.p_value).toBeCloseTo(p, 4);
    const result = sampleRatioMismatch(c.splitVersions, { a: 0.5, b: 0.5 });
    expectClose(result.p_value, c.expected.p_value, 'p_value');
    expect(result.mismatch).toBe(mismatch);
  });
});

describe('sample ratio across split changes', () => {
  const naive = (versions: Array<{ a: number; b: number }>, share: number) => {
    const a = versions.reduce((s, p) => s + p.a, 0);
    const b = versions.reduce((s, p) => s + p.b, 0);
    return chiSquareGoodnessOfFit([a, b], [(a + b) * share, (a + b) * (1 - share)]).pValue;
  };

  it('does not flag a clean ramp that pooling against today’s split would flag', () => {
    const versions = [
      { split: { a: 0.1, b: 0.9 }, a: 1000, b: 9000 },
      { split: { a: 0.5, b: 0.5 }, a: 5000, b: 5000 },
    ];
    expect(naive(versions, 0.5)).toBeLessThan(0.001);
    const result = sampleRatioMismatch(versions, { a: 0.5, b: 0.5 });
    expect(result.mismatch).toBe(false);
    expect(result.expected).toEqual({ a: 0.3, b: 0.7 });
  });

  it('flags a broken split version that pooling against today’s split would hide', () => {
    const versions = [
      { split: { a: 10, b: 90 }, a: 1000, b: 9000 },
      { split: { a: 50, b: 50 }, a: 9000, b: 1000 },
    ];
    expect(naive(versions, 0.5)).toBe(1);
    expect(sampleRatioMismatch(versions, { a: 50, b: 50 }).mismatch).toBe(true);
  });

  it('treats 10/90 and 0.1/0.9 alike', () => {
    const percent = sampleRatioMismatch([{ split: { a: 10, b: 90 }, a: 120, b: 880 }], { a: 10, b: 90 });
    const fraction = sampleRatioMismatch([{ split: { a: 0.1, b: 0.9 }, a: 120, b: 880 }], { a: 0.1, b: 0.9 });
    expect(percent).toEqual(fraction);
  });

  it('reports today’s split and no test before any assignment', () => {
    expect(sampleRatioMismatch([], { a: 20, b: 80 })).toEqual({
      expected: { a: 0.2, b: 0.8 },
      observed: { a: 0, b: 0 },
      chi_square: null,
      p_value: null,
      mismatch: false,
    });
  });

  it('rejects a split with no traffic, saying so', () => {
    const message = new RangeError('a traffic split must have a positive total');
    expect(() => sampleRatioMismatch([{ split: { a: 0, b: 0 }, a: 1, b: 1 }], { a: 1, b: 1 })).toThrow(message);
    expect(() => sampleRatioMismatch([], { a: 0, b: 0 })).toThrow(message);
  });

  it('rejects observed and expected counts of different lengths', () => {
    expect(() => chiSquareGoodnessOfFit([10, 20], [15])).toThrow(new RangeError('observed and expected differ in length'));
  });
});
