import { describe, expect, it } from 'vitest';
import { scipyReference, toleranceViolation } from './scipy-reference.js';
import { meanSequentialPValue, proportionSequentialPValue } from './sequential-p-value.js';
import type { ProportionArm } from './two-proportion-test.js';
import type { Moments } from './variant-snapshot.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

const pValueOf = (c: (typeof scipyReference.sequential_boundary)[number]): number =>
  c.kind === 'proportion'
    ? proportionSequentialPValue(c.a as ProportionArm, c.b as ProportionArm, c.target_n)
    : meanSequentialPValue(c.a as Moments, c.b as Moments, c.target_n);

describe('sequential p-value at one look, against scipy (scripts/stats-fixtures.py)', () => {
  it.each(scipyReference.sequential_boundary.map((c) => [c.kind, c.a.n, c.b.n, c] as const))('%s, n = %i and %i', (_kind, _na, _nb, c) => {
    expectClose(pValueOf(c), c.expected.p_value, 'sequential p');
  });

  // Written out: a look counts from 30 per arm (MIN_SEQUENTIAL_N), not from 31 and not from 29.
  it.each([
    ['proportion', 29, 1],
    ['proportion', 30, 0.032],
    ['proportion', 31, 0.033],
    ['mean', 29, 1],
    ['mean', 30, 0.00054],
    ['mean', 31, 0.00045],
  ] as const)('%s with %i per arm: p ≈ %f', (kind, n, p) => {
    const c = scipyReference.sequential_boundary.find((x) => x.kind === kind && x.a.n === n && x.b.n === n)!;
    const actual = pValueOf(c);
    if (p === 1) expect(actual).toBe(1);
    else expect(actual).toBeCloseTo(p, p < 0.01 ? 5 : 3);
  });

  it('gives no evidence while either arm has fewer than 30', () => {
    expect(proportionSequentialPValue({ n: 1000, events: 100 }, { n: 29, events: 29 }, 100)).toBe(1);
    expect(proportionSequentialPValue({ n: 29, events: 29 }, { n: 1000, events: 100 }, 100)).toBe(1);
    const many: Moments = { n: 1000, sum: 1000, sumSquares: 2000 };
    const few: Moments = { n: 29, sum: 290, sumSquares: 2900 + 28 };
    expect(meanSequentialPValue(many, few, 100)).toBe(1);
    expect(meanSequentialPValue(few, many, 100)).toBe(1);
  });
});
