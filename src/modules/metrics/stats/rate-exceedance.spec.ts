import { describe, expect, it } from 'vitest';
import { mulberry32 } from './mulberry32.js';
import { rateExceedanceLogLikelihoodRatio, rateExceedsThreshold, rateLowerBound } from './rate-exceedance.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

describe('rate exceedance test against scipy', () => {
  it.each(scipyReference.rate_exceeds.map((c) => [`${c.events}/${c.n} vs ${c.threshold}`, c] as const))('%s', (_label, c) => {
    expectClose(rateExceedanceLogLikelihoodRatio(c.events, c.n, c.threshold), c.expected.log_likelihood_ratio, 'ln Λ');
    expect(rateExceedsThreshold(c.events, c.n, c.threshold, 0.01)).toBe(c.expected.exceeds);
    expectClose(rateLowerBound(c.events, c.n, 0.01), c.expected.lower_bound, 'lower bound');
  });

  it('lower bound and test agree: the bound exceeds the threshold exactly when the test rejects', () => {
    for (const [events, n] of [[60, 300], [20, 100], [1500, 100000], [50, 10000], [80, 1000]] as const) {
      for (const threshold of [0.005, 0.01, 0.02, 0.05, 0.1]) {
        const bound = rateLowerBound(events, n, 0.01);
        if (Math.abs(bound - threshold) < 1e-9) continue;
        expect(rateExceedsThreshold(events, n, threshold, 0.01), `${events}/${n} vs ${threshold}`).toBe(bound > threshold);
      }
    }
  });

  it('rejects thresholds outside (0, 1) and impossible counts, saying which', () => {
    expect(() => rateExceedanceLogLikelihoodRatio(1, 10, 0)).toThrow(new RangeError('threshold must be in (0, 1): 0'));
    expect(() => rateExceedanceLogLikelihoodRatio(1, 10, 1)).toThrow(new RangeError('threshold must be in (0, 1): 1'));
    expect(() => rateExceedanceLogLikelihoodRatio(11, 10, 0.1)).toThrow(new RangeError('invalid counts: 11 of 10'));
    expect(() => rateExceedanceLogLikelihoodRatio(-1, 10, 0.1)).toThrow(new RangeError('invalid counts: -1 of 10'));
  });

  it('has no evidence when no alternative rate is possible: 1.1 × 0.95 > 1', () => {
    expect(rateExceedanceLogLikelihoodRatio(10, 10, 0.95)).toBe(-Infinity);
    expect(rateExceedsThreshold(10, 10, 0.95, 0.01)).toBe(false);
  });

  it('bounds nothing without events, and nothing before any trial', () => {
    expect(rateLowerBound(0, 1000, 0.01)).toBe(0);
    expect(rateLowerBound(0, 0, 0.01)).toBe(0);
  });
});

describe('rate exceedance test stays valid under continuous monitoring', () => {
  it('fires on at most α of streams whose true rate equals the threshold, checked after every 10 trials', () => {
    const random = mulberry32(7);
    const streams = 1000;
    const alpha = 0.05;
    const threshold = 0.02;
    let fired = 0;
    for (let s = 0; s < streams; s++) {
      let events = 0;
      for (let n = 1; n <= 2000; n++) {
        if (random() < threshold) events++;
        if (n % 10 === 0 && rateExceedsThreshold(events, n, threshold, alpha)) {
          fired++;
          break;
        }
      }
    }
    expect(fired / streams).toBeLessThanOrEqual(alpha);
    // …and it is not vacuous: the same streams at twice the rate are caught.
    let caught = 0;
    for (let s = 0; s < 200; s++) {
      let events = 0;
      for (let n = 1; n <= 2000; n++) {
        if (random() < 2 * threshold) events++;
        if (n % 10 === 0 && rateExceedsThreshold(events, n, threshold, alpha)) {
          caught++;
          break;
        }
      }
    }
    expect(caught / 200).toBeGreaterThan(0.8);
  });
});
