import type { TrafficSplit } from '../assignment/bucketing.js';

/** How far from 1 the shares may sum: floating-point noise such as 0.7 + 0.2 + 0.1, nothing more. */
export const SPLIT_SUM_TOLERANCE = 1e-9;

/**
 * Problems with a traffic split, one sentence each; empty when it is usable. Kept apart from the DTO
 * so the same rule guards create, ramp and the cache (a row edited by hand).
 */
export function trafficSplitProblems(split: TrafficSplit): string[] {
  const problems: string[] = [];
  for (const variant of ['a', 'b'] as const) {
    const share = split[variant];
    // Number.isFinite is false for anything but a finite number (a string from a hand-edited row too).
    if (!Number.isFinite(share)) problems.push(`traffic_split.${variant} must be a number`);
    else if (share < 0 || share > 1) problems.push(`traffic_split.${variant} must be between 0 and 1, got ${share}`);
  }
  if (problems.length === 0) {
    const sum = split.a + split.b;
    if (Math.abs(sum - 1) > SPLIT_SUM_TOLERANCE) problems.push(`traffic_split shares must sum to 1, got ${roundForMessage(sum)}`);
  }
  return problems;
}

export function sameTrafficSplit(left: TrafficSplit, right: TrafficSplit): boolean {
  return left.a === right.a && left.b === right.b;
}

function roundForMessage(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}
