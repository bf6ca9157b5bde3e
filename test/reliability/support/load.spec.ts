import { describe, expect, it } from 'vitest';
import { addTotals, explainedBy, metricBatch, zeroTotals, type MetricTotals } from './load.js';

const sum = (batches: readonly MetricTotals[]): MetricTotals => batches.reduce((total, b) => addTotals(total, b), zeroTotals());

describe('explainedBy: stored = acknowledged + whole unknown batches', () => {
  const acknowledged = sum(Array.from({ length: 20 }, (_, i) => metricBatch(300, 1000 + i).totals));
  // More unknown batches than an exhaustive search could try (2^60 subsets), as an outage leaves.
  const unknown = Array.from({ length: 60 }, (_, i) => metricBatch(100 + ((i * 37) % 400), 5000 + i).totals);
  const storedWith = (indices: readonly number[], extra: MetricTotals = zeroTotals()) => addTotals(addTotals(sum(indices.map((i) => unknown[i]!)), acknowledged), extra);

  it.each([
    ['none of the unknown batches', []],
    ['one of them', [41]],
    ['a few of them', [3, 17, 29, 58]],
    ['all but two', Array.from({ length: 60 }, (_, i) => i).filter((i) => i !== 7 && i !== 44)],
    ['all of them', Array.from({ length: 60 }, (_, i) => i)],
  ])('accepts %s', (_label, indices) => {
    expect(explainedBy(storedWith(indices), acknowledged, unknown)).toBe(true);
  });

  it('refuses part of a batch, even within the bounds of the unknown ones', () => {
    // Batch 29 without one of its events: every total lies between "none" and "all" of the unknown.
    const partial = zeroTotals();
    partial.requests.a = -1;
    partial.latencyCount.a = -1;
    partial.latencySum.a = -100;
    const stored = storedWith([3, 17, 29], partial);
    expect(explainedBy(stored, acknowledged, unknown)).toBe(false);
    expect(explainedBy(storedWith([3, 17, 29]), acknowledged, unknown)).toBe(true);
  });

  it('refuses a lost acknowledged event and a batch stored twice', () => {
    const lost = zeroTotals();
    lost.requests.b = -1;
    lost.latencyCount.b = -1;
    lost.latencySum.b = -250;
    expect(explainedBy(storedWith([], lost), acknowledged, unknown)).toBe(false);
    expect(explainedBy(storedWith([5, 5]), acknowledged, unknown)).toBe(false);
  });

  it('throws rather than guess when the search would not end', () => {
    expect(() => explainedBy(storedWith([1, 2, 3]), acknowledged, unknown, 10)).toThrow(/no answer within 10 steps/);
  });
});
