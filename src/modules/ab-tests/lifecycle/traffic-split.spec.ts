import { describe, expect, it } from 'vitest';
import type { TrafficSplit } from '../assignment/bucketing.js';
import { sameTrafficSplit, trafficSplitProblems } from './traffic-split.js';

describe('trafficSplitProblems', () => {
  it.each<[string, TrafficSplit, string[]]>([
    ['50/50', { a: 0.5, b: 0.5 }, []],
    ['90/10', { a: 0.9, b: 0.1 }, []],
    ['all a', { a: 1, b: 0 }, []],
    ['all b', { a: 0, b: 1 }, []],
    ['float noise within 1e-9', { a: 0.7 + 0.2, b: 0.1 }, []],
    ['sum within +1e-9', { a: 0.5 + 5e-10, b: 0.5 }, []],
    ['sum beyond 1e-9', { a: 0.5 + 2e-9, b: 0.5 }, ['traffic_split shares must sum to 1, got 1.000000002']],
    ['sum below 1', { a: 0.4, b: 0.5 }, ['traffic_split shares must sum to 1, got 0.9']],
    ['sum above 1', { a: 0.8, b: 0.8 }, ['traffic_split shares must sum to 1, got 1.6']],
    ['negative share', { a: -0.5, b: 1.5 }, ['traffic_split.a must be between 0 and 1, got -0.5', 'traffic_split.b must be between 0 and 1, got 1.5']],
    ['NaN', { a: Number.NaN, b: 1 }, ['traffic_split.a must be a number']],
    ['infinite', { a: 0, b: Number.POSITIVE_INFINITY }, ['traffic_split.b must be a number']],
    ['not a number', { a: '0.5' as unknown as number, b: 0.5 }, ['traffic_split.a must be a number']],
  ])('%s', (_name, split, problems) => {
    expect(trafficSplitProblems(split)).toEqual(problems);
  });
});

describe('sameTrafficSplit', () => {
  it.each<[TrafficSplit, TrafficSplit, boolean]>([
    [{ a: 0.5, b: 0.5 }, { a: 0.5, b: 0.5 }, true],
    [{ a: 0.5, b: 0.5 }, { a: 0.9, b: 0.1 }, false],
    // Float noise makes equal-looking splits differ in one share only.
    [{ a: 0.7 + 0.2, b: 0.1 }, { a: 0.9, b: 0.1 }, false],
    [{ a: 0.1, b: 0.7 + 0.2 }, { a: 0.1, b: 0.9 }, false],
  ])('%j vs %j → %s', (left, right, expected) => {
    expect(sameTrafficSplit(left, right)).toBe(expected);
  });
});
