import { fnv1a32 } from '../../../common/hash/fnv1a32.js';
import type { Variant } from '../../../common/variant.js';

/** a is the control, b the treatment. */
export const VARIANTS: readonly Variant[] = ['a', 'b'];

/** Shares of new users sent to each variant; each in [0, 1], summing to 1. */
export interface TrafficSplit {
  a: number;
  b: number;
}

/** [start, end): the slice of [0, 1) whose hashes get a variant. */
export type BucketRange = readonly [start: number, end: number];

/**
 * GrowthBook hash v2: fnv1a32(String(fnv1a32(seed + id))) % 10000 / 10000, over UTF-16 code units.
 * Four decimals, uniform on [0, 0.9999]. The double hash spreads sequential ids (user-1, user-2…)
 * that the single FNV pass of hash v1 leaves correlated.
 */
export function hashV2(seed: string, id: string): number {
  return (fnv1a32(String(fnv1a32(seed + id))) % 10000) / 10000;
}

/**
 * GrowthBook's getBucketRanges for full coverage: cumulative from 0 in variant order, each as wide
 * as its share. {a: 0.9, b: 0.1} → a [0, 0.9), b [0.9, 1).
 */
export function bucketRanges(split: TrafficSplit): { a: BucketRange; b: BucketRange } {
  return { a: [0, split.a], b: [split.a, split.a + split.b] };
}

/** GrowthBook's chooseVariation: the variant whose range holds n, or null when none does. */
export function chooseVariant(n: number, ranges: { a: BucketRange; b: BucketRange }): Variant | null {
  if (n >= ranges.a[0] && n < ranges.a[1]) return 'a';
  if (n >= ranges.b[0] && n < ranges.b[1]) return 'b';
  return null;
}

/**
 * The variant a new user gets: deterministic in (seed, user, split), so every instance (and any
 * GrowthBook SDK given the same seed, user id and weights) picks the same one. A validated split sums
 * to 1 ± 1e-9 while n ≤ 0.9999, so n always falls in a range; the fallback to the control only guards
 * against a split that was never validated.
 */
export function assignVariant(seed: string, userId: string, split: TrafficSplit): Variant {
  return chooseVariant(hashV2(seed, userId), bucketRanges(split)) ?? 'a';
}
