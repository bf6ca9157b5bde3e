import { describe, expect, it } from 'vitest';
import { wilsonInterval } from './wilson.js';

/* Reference values: scipy 1.17 `binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")`. */
const SCIPY: Array<[number, number, number, number]> = [
  [0, 10, 0.0, 0.27753279986288926],
  [10, 10, 0.7224672001371109, 1.0],
  [7, 10, 0.39677814746114526, 0.892208732593699],
  [95, 100, 0.8882495307680809, 0.978456320845632],
  [481, 500, 0.9414152274693561, 0.9755398819441696],
  [1, 1, 0.20654931437723745, 1.0],
  [4990, 5000, 0.996322115723667, 0.9989132531390561],
];

describe('wilsonInterval', () => {
  it.each(SCIPY)('%i of %i matches scipy to 1e-12', (k, n, lo, hi) => {
    const [low, high] = wilsonInterval(k, n)!;
    expect(low).toBeCloseTo(lo, 12);
    expect(high).toBeCloseTo(hi, 12);
  });

  it('is exactly [·, 1] when every comparison agrees and null without data', () => {
    expect(wilsonInterval(200, 200)![1]).toBe(1);
    expect(wilsonInterval(0, 200)![0]).toBe(0);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
  });
});
