import { describe, expect, it } from 'vitest';
import { probabilityBBetter, relativeDifference } from './effect-size.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';
import { twoProportionTest } from './two-proportion-test.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

describe('twoProportionTest against scipy.stats', () => {
  const cases = scipyReference.two_proportion;

  it('has a fixture with edge cases', () => {
    expect(cases.length).toBeGreaterThan(30);
    expect(cases.some((c) => c.expected === null)).toBe(true);
    expect(cases.some((c) => c.note !== undefined)).toBe(true);
  });

  it.each(cases.map((c) => [`${c.a.events}/${c.a.n} vs ${c.b.events}/${c.b.n}`, c] as const))('%s', (_label, c) => {
    const result = twoProportionTest(c.a, c.b);
    if (c.expected === null) {
      expect(result).toBeNull();
      return;
    }
    expect(result).not.toBeNull();
    const r = result!;
    const e = c.expected;
    expectClose(r.difference, e.difference, 'difference');
    expectClose(r.z, e.z, 'z');
    expectClose(r.pValue, e.p_value, 'p_value');
    expectClose(r.ci95[0], e.ci95[0], 'ci95 low');
    expectClose(r.ci95[1], e.ci95[1], 'ci95 high');
    expectClose(r.se, e.se, 'se');
    expectClose(probabilityBBetter(r.difference, r.se, true), e.probability_b_better_higher, 'P(b better), higher is better');
    expectClose(probabilityBBetter(r.difference, r.se, false), e.probability_b_better_lower, 'P(b better), lower is better');
    expectClose(relativeDifference(c.a.events / c.a.n, c.b.events / c.b.n), e.relative_difference, 'relative difference');
  });
});

describe('twoProportionTest input checks', () => {
  it.each([
    [{ n: 10, events: 11 }, 'more events than trials'],
    [{ n: -1, events: 0 }, 'negative trials'],
    [{ n: 10.5, events: 1 }, 'fractional trials'],
    [{ n: 10, events: -2 }, 'negative events'],
  ])('rejects %o (%s)', (arm) => {
    expect(() => twoProportionTest(arm, { n: 10, events: 1 })).toThrow(RangeError);
    expect(() => twoProportionTest({ n: 10, events: 1 }, arm)).toThrow(RangeError);
  });

  it('names the arm and its counts', () => {
    expect(() => twoProportionTest({ n: 10, events: 11 }, { n: 10, events: 1 })).toThrow(new RangeError('invalid proportion arm a: 11 events in 10 trials'));
    expect(() => twoProportionTest({ n: 10, events: 1 }, { n: 10, events: 11 })).toThrow(new RangeError('invalid proportion arm b: 11 events in 10 trials'));
  });

  it('compares nothing while either arm has fewer than 2 trials', () => {
    expect(twoProportionTest({ n: 1, events: 0 }, { n: 100, events: 5 })).toBeNull();
    expect(twoProportionTest({ n: 100, events: 5 }, { n: 1, events: 0 })).toBeNull();
  });
});
