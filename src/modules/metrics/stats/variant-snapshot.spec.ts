import { describe, expect, it } from 'vitest';
import { momentsOf } from './build-snapshot.js';
import { sampleMean, sampleVariance, toSampleStats } from './variant-snapshot.js';

describe('sample statistics from raw sums', () => {
  it.each([
    ['no values', [], null, null],
    ['one value', [4], 4, null],
    ['two values', [1, 3], 2, 2],
    ['constant', [0.1, 0.1, 0.1], 0.1, 0],
    ['0/1 values', [0, 1, 1, 1], 0.75, 0.25],
    ['latencies', [120, 95, 180, 101, 133], 125.8, 1146.7],
  ] as const)('%s', (_label, values, mean, variance) => {
    const m = momentsOf(values);
    if (mean === null) expect(sampleMean(m)).toBeNull();
    else expect(sampleMean(m)).toBeCloseTo(mean, 12);
    if (variance === null) expect(sampleVariance(m)).toBeNull();
    else expect(sampleVariance(m)).toBeCloseTo(variance, 9);
  });

  it('never returns a negative variance when rounding overshoots', () => {
    // sumSquares a hair below sum²/n, as floating-point accumulation can leave it.
    expect(sampleVariance({ n: 3, sum: 0.30000000000000004, sumSquares: 0.03 })).toBe(0);
  });

  it('gives Welch its inputs only from two observations on', () => {
    expect(toSampleStats(momentsOf([5]))).toBeNull();
    expect(toSampleStats(momentsOf([5, 7]))).toEqual({ n: 2, mean: 6, variance: 2 });
  });
});
