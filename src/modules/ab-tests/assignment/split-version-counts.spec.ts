import { describe, expect, it } from 'vitest';
import type { SplitVersionAssignments } from '../../metrics/stats/sample-ratio.js';
import { splitVersionCounts, type AssignmentCount } from './split-version-counts.js';
import type { SplitHistoryEntry } from '../entities/ab-test.entity.js';
import type { Variant } from '../../../common/variant.js';

const since = '2026-01-05T09:00:00.000Z';
const RAMP: SplitHistoryEntry[] = [
  { version: 1, a: 0.1, b: 0.9, since },
  { version: 2, a: 0.5, b: 0.5, since },
];
const row = (splitVersion: number, variant: Variant, count: number): AssignmentCount => ({ splitVersion, variant, count });

describe('splitVersionCounts', () => {
  it.each<[string, AssignmentCount[], SplitHistoryEntry[], SplitVersionAssignments[]]>([
    ['no assignments', [], RAMP, []],
    ['one split', [row(1, 'a', 1000), row(1, 'b', 1012)], [{ version: 1, a: 0.5, b: 0.5, since }], [{ split: { a: 0.5, b: 0.5 }, a: 1000, b: 1012 }]],
    [
      'a ramp: each version against its own split',
      [row(1, 'a', 1000), row(1, 'b', 9000), row(2, 'a', 5000), row(2, 'b', 5600)],
      RAMP,
      [
        { split: { a: 0.1, b: 0.9 }, a: 1000, b: 9000 },
        { split: { a: 0.5, b: 0.5 }, a: 5000, b: 5600 },
      ],
    ],
    [
      'rows in any order, versions in version order',
      [row(2, 'b', 7), row(1, 'b', 3), row(2, 'a', 5), row(1, 'a', 1)],
      [...RAMP].reverse(),
      [
        { split: { a: 0.1, b: 0.9 }, a: 1, b: 3 },
        { split: { a: 0.5, b: 0.5 }, a: 5, b: 7 },
      ],
    ],
    ['only one variant assigned under one split version', [row(2, 'b', 4)], RAMP, [{ split: { a: 0.5, b: 0.5 }, a: 0, b: 4 }]],
    ['duplicate rows add up', [row(1, 'a', 2), row(1, 'a', 3)], RAMP, [{ split: { a: 0.1, b: 0.9 }, a: 5, b: 0 }]],
    [
      'a version missing from the history: the latest earlier split',
      [row(3, 'a', 10), row(3, 'b', 10)],
      RAMP,
      [{ split: { a: 0.5, b: 0.5 }, a: 10, b: 10 }],
    ],
    ['no history at all: the current split', [row(1, 'a', 8), row(1, 'b', 2)], [], [{ split: { a: 0.8, b: 0.2 }, a: 8, b: 2 }]],
    [
      'a version before every recorded split version: the current split',
      [row(1, 'a', 1)],
      [{ version: 2, a: 0.3, b: 0.7, since }],
      [{ split: { a: 0.8, b: 0.2 }, a: 1, b: 0 }],
    ],
  ])('%s', (_name, counts, history, expected) => {
    expect(splitVersionCounts(counts, history, { a: 0.8, b: 0.2 })).toEqual(expected);
  });
});
