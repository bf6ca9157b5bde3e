import { describe, expect, it } from 'vitest';
import { probabilityBBetter, relativeDifference, relativeImprovement } from './effect-size.js';

describe('relativeDifference and relativeImprovement', () => {
  it.each([
    [0.8, 0.84, true, 0.05, 0.05],
    [0.8, 0.84, false, 0.05, -0.05],
    [120, 90, false, -0.25, 0.25],
    [120, 90, true, -0.25, -0.25],
    [-2, -1, true, -0.5, -0.5],
  ])('a=%d b=%d higherIsBetter=%s', (a, b, higher, relative, improvement) => {
    expect(relativeDifference(a, b)).toBeCloseTo(relative, 12);
    expect(relativeImprovement(a, b, higher)).toBeCloseTo(improvement, 12);
  });

  it('is null, not infinite, when a is 0', () => {
    expect(relativeDifference(0, 0.1)).toBeNull();
    expect(relativeImprovement(0, 0.1, true)).toBeNull();
  });
});

describe('probabilityBBetter', () => {
  it('points the same way as the metric', () => {
    expect(probabilityBBetter(-0.002, 0.002816, false)).toBeCloseTo(0.761, 3); // the contract's example
    expect(probabilityBBetter(-0.002, 0.002816, true)).toBeCloseTo(0.239, 3);
    expect(probabilityBBetter(0, 1, true)).toBe(0.5);
  });

  it.each([
    [1, true, 1],
    [1, false, 0],
    [-1, false, 1],
    [0, true, 0.5],
  ])('is a point mass when se = 0 (difference %d, higherIsBetter %s)', (difference, higher, expected) => {
    expect(probabilityBBetter(difference, 0, higher)).toBe(expected);
  });
});
