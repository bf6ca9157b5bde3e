import { describe, expect, it } from 'vitest';
import { ShadowDeltas, redactInput, REDACTED_INPUT } from './shadow-deltas.js';
import { DEFAULT_MIN_COMPARISONS, shadowSection, shadowVerdict, type ShadowTotals } from './shadow-stats.js';

function totals(pairs: Array<[string, string, number]>, errorsB = 0, dropped = 0, latencyB = 1): ShadowTotals {
  const deltas = new ShadowDeltas();
  for (const [labelA, labelB, n] of pairs) for (let i = 0; i < n; i++) deltas.addComparison({ labelA, labelB, latencyMsA: 1, latencyMsB: latencyB });
  return { cells: [...deltas.cells.values()], errorsB, dropped };
}

describe('shadowSection', () => {
  it('agreement, Wilson interval, confusion summing to compared, latencies and b errors', () => {
    const section = shadowSection(totals([['safe', 'safe', 90], ['safe', 'toxic', 5], ['toxic', 'toxic', 4], ['toxic', 'safe', 1]], 3, 7));
    expect(section.compared).toBe(100);
    expect(section.dropped).toBe(7);
    expect(section.agreement.rate).toBe(0.94);
    // scipy: binomtest(94, 100).proportion_ci(method="wilson")
    expect(section.agreement.ci95![0]).toBeCloseTo(0.8752318455410407, 12);
    expect(section.agreement.ci95![1]).toBeCloseTo(0.9722138760368119, 12);
    expect(section.confusion).toEqual({ safe: { safe: 90, toxic: 5 }, toxic: { safe: 1, toxic: 4 } });
    expect(section.latency_ms.a.p50).toBeCloseTo(1, 1);
    expect(section.errors_b).toEqual({ n: 3, rate: 3 / 103 });
  });

  it('is empty but well formed without comparisons', () => {
    expect(shadowSection({ cells: [], errorsB: 0, dropped: 0 })).toEqual({
      compared: 0,
      dropped: 0,
      agreement: { rate: null, ci95: null },
      confusion: {},
      latency_ms: { a: { p50: null, p95: null, p99: null }, b: { p50: null, p95: null, p99: null } },
      errors_b: { n: 0, rate: null },
    });
  });
});

describe('shadowVerdict', () => {
  const verdict = (t: ShadowTotals, criteria: Parameters<typeof shadowVerdict>[0]) => shadowVerdict(criteria, t, shadowSection(t));

  it('ready_for_ab when enough comparisons agree and b is within its limits', () => {
    const v = verdict(totals([['safe', 'safe', 190], ['safe', 'toxic', 10]]), { min_requests: 200, min_agreement: 0.9, max_error_rate: 0.05, max_latency_ms: 10 });
    expect(v.recommendation.decision).toBe('ready_for_ab');
    expect(v.criteria.map((c) => [c.name, c.met])).toEqual([
      ['min_requests', true],
      ['max_error_rate', true],
      ['max_latency_ms', true],
      ['min_agreement', true],
    ]);
  });

  it(`keep_shadowing below min_requests (default ${DEFAULT_MIN_COMPARISONS}) or below min_agreement`, () => {
    expect(verdict(totals([['safe', 'safe', 999]]), {}).recommendation).toEqual({ decision: 'keep_shadowing', reasons: ['999 of 1000 comparisons needed (min_requests, default)'] });
    const low = verdict(totals([['safe', 'safe', 80], ['safe', 'toxic', 20]]), { min_requests: 100, min_agreement: 0.9 });
    expect(low.recommendation.decision).toBe('keep_shadowing');
    expect(low.recommendation.reasons[0]).toMatch(/min_agreement not met: b agreed on 0.8/);
  });

  it('stop_guardrail when b fails confidently more often than max_error_rate', () => {
    const v = verdict(totals([['safe', 'safe', 300]], 100), { max_error_rate: 0.05 });
    expect(v.recommendation.decision).toBe('stop_guardrail');
    expect(v.recommendation.reasons[0]).toMatch(/max_error_rate breached by b: 100 errors in 400/);
  });
});

describe('redactInput', () => {
  it('drops inputs a model called pii, masks e-mails and long numbers, truncates to 200', () => {
    expect(redactInput('my card is 4111 1111 1111 1111', 'safe', 'pii')).toBe(REDACTED_INPUT);
    expect(redactInput('write to bob@example.org or 0612345678', 'safe', 'toxic')).toBe('write to [email] or [number]');
    const long = redactInput('x'.repeat(500), 'a', 'b')!;
    expect(long).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
    expect(redactInput(null, 'a', 'b')).toBeNull();
  });
});
