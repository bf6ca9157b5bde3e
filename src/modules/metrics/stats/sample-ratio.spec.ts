import { describe, expect, it } from 'vitest';
import { chiSquareGoodnessOfFit, sampleRatioMismatch, SAMPLE_RATIO_ALPHA } from './sample-ratio.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

describe('sampleRatioMismatch against scipy.stats.chisquare', () => {
  it.each(scipyReference.sample_ratio.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const result = sampleRatioMismatch(c.phases, { a: 0.5, b: 0.5 });
    expectClose(result.chi_square, c.expected.chi_square, 'chi_square');
    expectClose(result.p_value, c.expected.p_value, 'p_value');
    if (c.expected.expected_share !== null) {
      expectClose(result.expected.a, c.expected.expected_share, 'expected share of a');
      expectClose(result.expected.a + result.expected.b, 1, 'shares sum to 1');
    }
    expect(result.observed).toEqual({ a: c.phases.reduce((s, p) => s + p.a, 0), b: c.phases.reduce((s, p) => s + p.b, 0) });
    expect(result.mismatch).toBe(c.expected.p_value !== null && c.expected.p_value < SAMPLE_RATIO_ALPHA);
  });
});

describe('sample ratio across split changes', () => {
  const naive = (phases: Array<{ a: number; b: number }>, share: number) => {
    const a = phases.reduce((s, p) => s + p.a, 0);
    const b = phases.reduce((s, p) => s + p.b, 0);
    return chiSquareGoodnessOfFit([a, b], [(a + b) * share, (a + b) * (1 - share)]).pValue;
  };

  it('does not flag a clean ramp that pooling against today’s split would flag', () => {
    const phases = [
      { split: { a: 0.1, b: 0.9 }, a: 1000, b: 9000 },
      { split: { a: 0.5, b: 0.5 }, a: 5000, b: 5000 },
    ];
    expect(naive(phases, 0.5)).toBeLessThan(SAMPLE_RATIO_ALPHA);
    const result = sampleRatioMismatch(phases, { a: 0.5, b: 0.5 });
    expect(result.mismatch).toBe(false);
    expect(result.expected).toEqual({ a: 0.3, b: 0.7 });
  });

  it('flags a broken phase that pooling against today’s split would hide', () => {
    const phases = [
      { split: { a: 10, b: 90 }, a: 1000, b: 9000 },
      { split: { a: 50, b: 50 }, a: 9000, b: 1000 },
    ];
    expect(naive(phases, 0.5)).toBe(1);
    expect(sampleRatioMismatch(phases, { a: 50, b: 50 }).mismatch).toBe(true);
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

  it('rejects a split with no traffic', () => {
    expect(() => sampleRatioMismatch([{ split: { a: 0, b: 0 }, a: 1, b: 1 }], { a: 1, b: 1 })).toThrow(RangeError);
    expect(() => sampleRatioMismatch([], { a: 0, b: 0 })).toThrow(RangeError);
  });
});
