import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSnapshot, momentsFrom } from './build-snapshot.js';
import { computeResults } from './results.js';
import type { VariantSnapshot } from './variant-snapshot.js';
import { baseInput, byName, nonFinitePaths } from './results-spec-support.js';

/*
 * Properties of the whole results document over random aggregates. Its own file so the mutation
 * run (vitest.mutation.config.ts) can leave it out: it computes ~1,500 documents and would rerun
 * for nearly every mutant of the statistics; the example specs carry the mutation score.
 */

describe('computeResults for any aggregates', () => {
  const count = fc.integer({ min: 0, max: 2_000_000 });
  const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1, 1e-9));
  const moments = fc
    .tuple(fc.integer({ min: 0, max: 100_000 }), value, fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e8, noNaN: true })))
    .map(([n, mean, variance]) => momentsFrom(n, mean, variance));
  const quantile = fc.option(fc.double({ min: 0, max: 1e5, noNaN: true }), { nil: null });
  const snapshot = fc
    .record({ requests: count, errorShare: fc.double({ min: 0, max: 1, noNaN: true }), latency: moments, p: quantile, custom: fc.dictionary(fc.constantFrom('acc', 'csat', 'ctr'), moments) })
    .map(({ requests, errorShare, latency, p, custom }) =>
      buildSnapshot({ requests, errors: Math.floor(requests * errorShare), latency: { ...latency, p50: p, p95: p, p99: p }, custom }),
    );

  it('never emits NaN or Infinity, and keeps probabilities and intervals well-formed, for any aggregates', () => {
    fc.assert(
      fc.property(snapshot, snapshot, fc.array(fc.tuple(snapshot, snapshot), { maxLength: 3 }), (a, b, looks) => {
        const input = (current: { a: VariantSnapshot; b: VariantSnapshot }, earlier: Array<{ a: VariantSnapshot; b: VariantSnapshot }>) =>
          baseInput({
            current,
            looks: earlier,
            assignmentsBySplitVersion: [{ split: { a: 0.3, b: 0.7 }, a: current.a.requests, b: current.b.requests }],
            metricDeclarations: [{ name: 'csat', higher_is_better: false }],
            criteria: { min_requests: 100, max_error_rate: 0.05, max_latency_ms: 300, min_improvement: 0.01 },
          });
        const earlier = looks.map(([la, lb]) => ({ a: la, b: lb }));
        const doc = computeResults(input({ a, b }, earlier));
        expect(nonFinitePaths(doc)).toEqual([]);
        expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
        // Each look on its own, for the running minimum below.
        const now = computeResults(input({ a, b }, []));
        const alone = earlier.map((look) => computeResults(input(look, [])));
        for (const m of doc.metrics) {
          for (const p of [m.p_value, m.sequential_p_value, m.probability_b_better]) if (p !== null) expect(p >= 0 && p <= 1).toBe(true);
          if (m.ci95) expect(m.ci95[0]).toBeLessThanOrEqual(m.ci95[1]);
          const single = byName(now.metrics, m.name);
          if (m.sequential_p_value === null) {
            expect(single.sequential_p_value).toBeNull();
            continue;
          }
          // The always-valid p-value is the minimum over the looks (a look without the metric, or
          // with too little data to compare, gives no evidence: 1).
          const atLooks = alone.map((d) => d.metrics.find((x) => x.name === m.name)?.sequential_p_value ?? 1);
          expect(m.sequential_p_value).toBe(Math.min(single.sequential_p_value!, ...atLooks));
          expect(m.significant).toBe(m.sequential_p_value < 0.05);
          // At a single look the mSPRT is never more confident than the fixed-horizon z-test on the
          // same pooled variance: 1/Λ ≥ √(1 + r)·e^(−z²/2) ≥ 2Φ(−|z|).
          if (m.name === 'error_rate' && single.p_value !== null) expect(single.sequential_p_value).toBeGreaterThanOrEqual(single.p_value);
        }
      }),
      { numRuns: 300, seed: 20260301 },
    );
  });
});
