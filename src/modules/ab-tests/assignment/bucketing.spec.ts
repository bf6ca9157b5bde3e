import { describe, expect, it } from 'vitest';
import { assignVariant, bucketRanges, chooseVariant, hashV2, type TrafficSplit } from './bucketing.js';
import type { Variant } from '../../../common/variant.js';

describe('hashV2 (GrowthBook hash v2)', () => {
  // The first three are the vectors; the rest were computed by an independent Python
  // implementation (FNV-1a over the UTF-16LE code units), so non-ASCII and surrogate pairs are covered.
  it.each([
    ['seed', 'a', 0.0505],
    ['seed', 'b', 0.2696],
    ['foo', 'ab', 0.2575],
    ['', '', 0.2305],
    ['safety-v2', 'user-1', 0.3065],
    ['safety-v2', 'user-2', 0.3641],
    ['3f0c1a2b-0000-4000-8000-000000000001', 'alice', 0.8393],
    ['seed', 'ünïcödé', 0.8354],
    ['seed', '🙂', 0.3551],
  ])('hash(%j, %j) = %d', (seed, id, expected) => {
    expect(hashV2(seed, id)).toBe(expected);
  });

  it('stays in [0, 1) with four decimals', () => {
    for (let i = 0; i < 2000; i++) {
      const n = hashV2('s', `u${i}`);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(1);
      expect(Math.round(n * 10000) / 10000).toBe(n);
    }
  });
});

describe('bucketRanges', () => {
  it.each<[TrafficSplit, [number, number], [number, number]]>([
    [{ a: 0.5, b: 0.5 }, [0, 0.5], [0.5, 1]],
    [{ a: 0.9, b: 0.1 }, [0, 0.9], [0.9, 1]],
    [{ a: 0.1, b: 0.9 }, [0, 0.1], [0.1, 1]],
    [{ a: 1, b: 0 }, [0, 1], [1, 1]],
    [{ a: 0, b: 1 }, [0, 0], [0, 1]],
  ])('%j → a %j, b %j', (split, a, b) => {
    expect(bucketRanges(split)).toEqual({ a, b });
  });
});

describe('chooseVariant', () => {
  const ninetyTen = bucketRanges({ a: 0.9, b: 0.1 });
  it.each<[number, Variant | null]>([
    [0, 'a'],
    [0.5, 'a'],
    [0.8999, 'a'],
    [0.9, 'b'],
    [0.9999, 'b'],
    [1, null],
  ])('n = %d at 90/10 → %s', (n, expected) => {
    expect(chooseVariant(n, ninetyTen)).toBe(expected);
  });

  it('an empty range never matches', () => {
    expect(chooseVariant(0, bucketRanges({ a: 0, b: 1 }))).toBe('b');
    expect(chooseVariant(0.9999, bucketRanges({ a: 1, b: 0 }))).toBe('a');
  });
});

describe('assignVariant', () => {
  it('is deterministic and follows the hash', () => {
    // hash("seed", "a") = 0.0505: in a at 50/50, in b at 4/96.
    expect(assignVariant('seed', 'a', { a: 0.5, b: 0.5 })).toBe('a');
    expect(assignVariant('seed', 'a', { a: 0.04, b: 0.96 })).toBe('b');
    expect(assignVariant('seed', 'a', { a: 0.0505, b: 0.9495 })).toBe('b');
    expect(assignVariant('seed', 'a', { a: 0.0506, b: 0.9494 })).toBe('a');
  });

  it('falls back to a when no range holds the hash (a split that was never validated)', () => {
    expect(assignVariant('seed', 'a', { a: 0, b: 0 })).toBe('a');
    expect(assignVariant('seed', 'a', { a: 0.01, b: 0.01 })).toBe('a');
  });

  it('sends about the b share of many users to b', () => {
    let b = 0;
    const users = 50_000;
    for (let i = 0; i < users; i++) if (assignVariant('ramp', `user-${i}`, { a: 0.9, b: 0.1 }) === 'b') b++;
    expect(b / users).toBeGreaterThan(0.095);
    expect(b / users).toBeLessThan(0.105);
  });
});
