import type { SplitVersionAssignments } from '../../metrics/stats/sample-ratio.js';
import type { TrafficSplit } from './bucketing.js';
import type { SplitHistoryEntry } from '../entities/ab-test.entity.js';
import type { Variant } from '../../../common/variant.js';

/** Stored assignments of one variant made under one split version (a GROUP BY row). */
export interface AssignmentCount {
  splitVersion: number;
  variant: Variant;
  count: number;
}

/**
 * The sample-ratio input: assignment counts grouped by the split in force when they were made.
 * Each split version maps to its entry in `split_history`. A version the history does not hold
 * (rows written before the history existed) counts against the latest earlier split, and with
 * none, against the current one. Entries come back in split-version order.
 */
export function splitVersionCounts(counts: readonly AssignmentCount[], history: readonly SplitHistoryEntry[], current: TrafficSplit): SplitVersionAssignments[] {
  const byVersion = new Map<number, { a: number; b: number }>();
  for (const { splitVersion, variant, count } of counts) {
    let tally = byVersion.get(splitVersion);
    if (tally === undefined) {
      tally = { a: 0, b: 0 };
      byVersion.set(splitVersion, tally);
    }
    tally[variant] += count;
  }
  const sortedHistory = [...history].sort((x, y) => x.version - y.version);
  const splitOf = (version: number): TrafficSplit => {
    let found: SplitHistoryEntry | undefined;
    for (const entry of sortedHistory) if (entry.version <= version) found = entry;
    return found ? { a: found.a, b: found.b } : { a: current.a, b: current.b };
  };
  return [...byVersion.entries()]
    .sort(([x], [y]) => x - y)
    .map(([version, { a, b }]) => ({ split: splitOf(version), a, b }));
}
