import { describe, expect, it } from 'vitest';
import type { GuardrailBreach } from './guardrail-breaches.js';
import { recommend, type RecommendationInput } from './recommendation.js';
import type { CriterionResult, Decision, MetricResult } from './results-document.js';
import type { SampleRatioResult } from './sample-ratio.js';

function metric(overrides: Partial<MetricResult> = {}): MetricResult {
  return {
    name: 'custom:accuracy',
    kind: 'mean',
    higher_is_better: true,
    a: { n: 5000, mean: 0.8, std_dev: 0.4 },
    b: { n: 5000, mean: 0.84, std_dev: 0.37 },
    difference: 0.04,
    relative_difference: 0.05,
    ci95: [0.025, 0.055],
    p_value: 0.0001,
    sequential_p_value: 0.002,
    probability_b_better: 0.9999,
    significant: true,
    ...overrides,
  };
}

const balanced: SampleRatioResult = { expected: { a: 0.5, b: 0.5 }, observed: { a: 5000, b: 5010 }, chi_square: 0.01, p_value: 0.92, mismatch: false };
const srm: SampleRatioResult = { expected: { a: 0.5, b: 0.5 }, observed: { a: 5000, b: 5600 }, chi_square: 33.96, p_value: 5.6e-9, mismatch: true };
const minRequests = (a: number, b: number, threshold = 5000): CriterionResult => ({ name: 'min_requests', threshold, observed: { a, b }, met: a >= threshold && b >= threshold });
const minImprovement = (improvement: number | null, threshold = 0.02): CriterionResult => ({
  name: 'min_improvement',
  threshold,
  observed: { metric: 'custom:accuracy', a: 0.8, b: 0.84, improvement },
  met: improvement !== null && improvement >= threshold,
});
const maxErrorRate = (observed: number, threshold = 0.01): CriterionResult => ({ name: 'max_error_rate', threshold, observed, met: observed <= threshold });
const breach: GuardrailBreach = {
  criterion: 'max_error_rate',
  threshold: 0.01,
  observed: 0.2,
  n: 300,
  lowerBound: 0.124,
  reason: 'max_error_rate breached by b: 60 errors in 300 requests (0.2), 99% always-valid lower bound 0.1245 > 0.01',
};

function input(overrides: Partial<RecommendationInput>): RecommendationInput {
  const primary = overrides.primary ?? metric();
  return { criteria: [], breaches: [], primary, metrics: [primary], sampleRatio: balanced, ...overrides };
}

describe('recommend', () => {
  it.each<[string, Partial<RecommendationInput>, Decision, Array<string | RegExp>]>([
    ['a confident guardrail breach stops the test whatever else holds', { breaches: [breach], criteria: [minRequests(10, 10)] }, 'stop_guardrail', [breach.reason]],
    [
      'a sample ratio mismatch blocks any verdict',
      { sampleRatio: srm },
      'keep_running',
      [
        'sample ratio mismatch: 5000 assignments to a and 5600 to b against an expected 0.5/0.5 split (p = 5.600e-9); ' +
          'assignment or metric recording is broken, so no result can be trusted until it is fixed',
      ],
    ],
    [
      'min_requests not reached, per arm',
      { criteria: [minRequests(1000, 1012, 10000)] },
      'keep_running',
      ['min_requests not reached: 1000 of 10000 in a', 'min_requests not reached: 1012 of 10000 in b'],
    ],
    ['min_requests reached in a only', { criteria: [minRequests(10000, 9999, 10000)] }, 'keep_running', ['min_requests not reached: 9999 of 10000 in b']],
    [
      'not enough data on the primary metric',
      { primary: metric({ a: { n: 1, mean: 1, std_dev: null }, difference: null, sequential_p_value: null, significant: false }) },
      'keep_running',
      ['not enough data on custom:accuracy to compare: n = 1 in a, 5000 in b'],
    ],
    [
      'significant in b’s favour with every criterion met',
      { criteria: [minRequests(5000, 5000), minImprovement(0.05), maxErrorRate(0.005)] },
      'ship_b',
      [
        'b is significantly better on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.002)',
        'criteria met: min_requests, min_improvement, max_error_rate',
      ],
    ],
    ['significant in b’s favour, no criteria declared', {}, 'ship_b', ['b is significantly better on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.002)']],
    [
      'significant in b’s favour but below min_improvement',
      { criteria: [minRequests(5000, 5000), minImprovement(0.01)] },
      'no_difference',
      [/^b is significantly better on custom:accuracy .*, but the improvement \+1% is below min_improvement \+2%$/],
    ],
    [
      'significant in b’s favour, improvement undefined',
      { criteria: [minImprovement(null)] },
      'no_difference',
      [/but its relative improvement is undefined because a's mean is 0$/],
    ],
    [
      'significant in b’s favour but a guardrail unmet on its point estimate',
      { criteria: [maxErrorRate(0.012)] },
      'keep_running',
      [/^b is significantly better/, 'max_error_rate not met: b at 0.012 against 0.01, not yet a confident breach'],
    ],
    [
      'significant in a’s favour',
      { primary: metric({ b: { n: 5000, mean: 0.76, std_dev: 0.43 }, difference: -0.04, relative_difference: -0.05 }) },
      'keep_a',
      ['a is significantly better on custom:accuracy (a 0.8, b 0.76, -5%, sequential p = 0.002)'],
    ],
    [
      'lower-is-better primary: a lower b wins',
      { primary: metric({ name: 'error_rate', kind: 'proportion', higher_is_better: false, a: { n: 9000, mean: 0.02 }, b: { n: 9000, mean: 0.01 }, difference: -0.01, relative_difference: -0.5 }) },
      'ship_b',
      [/^b is significantly better on error_rate/],
    ],
    [
      'lower-is-better primary: a higher b loses',
      { primary: metric({ name: 'error_rate', kind: 'proportion', higher_is_better: false, a: { n: 9000, mean: 0.01 }, b: { n: 9000, mean: 0.02 }, difference: 0.01, relative_difference: 1 }) },
      'keep_a',
      [/^a is significantly better on error_rate/],
    ],
    [
      'not significant after min_requests',
      { criteria: [minRequests(5000, 5000)], primary: metric({ sequential_p_value: 0.4, significant: false }) },
      'no_difference',
      ['no significant difference on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.4) after reaching min_requests'],
    ],
    [
      'not significant and no min_requests declared',
      { primary: metric({ sequential_p_value: 0.4, significant: false }) },
      'keep_running',
      [/^no significant difference on custom:accuracy .* yet; declare min_requests/],
    ],
  ])('%s', (_label, overrides, decision, reasons) => {
    const result = recommend(input(overrides));
    expect(result.decision).toBe(decision);
    expect(result.reasons).toHaveLength(reasons.length);
    reasons.forEach((reason, i) => {
      if (typeof reason === 'string') expect(result.reasons[i]).toBe(reason);
      else expect(result.reasons[i]).toMatch(reason);
    });
  });

  it.each<[string, Partial<MetricResult>]>([
    ['no sequential p-value', { sequential_p_value: null, significant: false }],
    ['no difference', { difference: null, relative_difference: null }],
  ])('keeps running when the primary metric has %s', (_label, overrides) => {
    const result = recommend(input({ primary: metric(overrides) }));
    expect(result).toEqual({ decision: 'keep_running', reasons: ['not enough data on custom:accuracy to compare: n = 5000 in a, 5000 in b'] });
  });

  it('waits on a latency guardrail unmet on its point estimate, or not yet measurable, and ignores met criteria', () => {
    const latency = (observed: number | null): CriterionResult => ({ name: 'max_latency_ms', threshold: 200, observed, met: observed !== null && observed <= 200 });
    const result = recommend(input({ criteria: [minRequests(5000, 5000), minImprovement(0.05), maxErrorRate(0.005), latency(230)] }));
    expect(result).toEqual({
      decision: 'keep_running',
      reasons: [
        'b is significantly better on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.002)',
        'max_latency_ms not met: b at 230 against 200, not yet a confident breach',
      ],
    });
    expect(recommend(input({ criteria: [latency(null)] })).reasons).toEqual([
      'b is significantly better on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.002)',
      'max_latency_ms cannot be checked yet: no data for b',
    ]);
  });

  it('describes an effect without a relative difference or a mean', () => {
    const primary = metric({ a: { n: 5000, mean: 0, std_dev: 0 }, b: { n: 5000, mean: null, std_dev: null }, relative_difference: null });
    expect(recommend(input({ primary })).reasons).toEqual(['b is significantly better on custom:accuracy (a 0, b 0, sequential p = 0.002)']);
  });

  it('warns only about other metrics b significantly worsens', () => {
    const worse = (name: string, higherIsBetter: boolean, difference: number, overrides: Partial<MetricResult> = {}) =>
      metric({ name, higher_is_better: higherIsBetter, difference, relative_difference: difference, ...overrides });
    const metrics = [
      metric(),
      worse('custom:csat', true, -0.1), // higher is better and b is lower: worse
      worse('custom:ctr', true, -0.1, { significant: false, sequential_p_value: 0.3 }), // not significant
      worse('custom:handle_time', false, -0.1), // lower is better and b is lower: better
      worse('custom:nps', true, 0, { difference: null }), // nothing to compare
      metric({ name: 'custom:accuracy', difference: -0.5 }), // the primary itself is never a warning
    ];
    expect(recommend(input({ metrics })).reasons).toEqual([
      'b is significantly better on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.002)',
      'note: b is significantly worse on custom:csat (a 0.8, b 0.84, -10%, sequential p = 0.002)',
    ]);
  });

  it.each([true, false])('does not ship b on an earlier look’s significance with no difference now (higher is better: %s)', (higherIsBetter) => {
    // The running minimum keeps an earlier crossing; b must be ahead now to win.
    const primary = metric({ higher_is_better: higherIsBetter, b: { n: 5000, mean: 0.8, std_dev: 0.4 }, difference: 0, relative_difference: 0 });
    expect(recommend(input({ primary })).decision).toBe('keep_a');
  });

  it('does not warn about a metric with no difference now', () => {
    const even = (name: string, higherIsBetter: boolean) => metric({ name, higher_is_better: higherIsBetter, difference: 0, relative_difference: 0 });
    expect(recommend(input({ metrics: [metric(), even('custom:csat', true), even('latency_ms', false)] })).reasons).toEqual([
      'b is significantly better on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.002)',
    ]);
  });

  it('ships b but warns about another metric b significantly worsens', () => {
    const latency = metric({ name: 'latency_ms', higher_is_better: false, a: { n: 5000, mean: 120, std_dev: 30 }, b: { n: 5000, mean: 130, std_dev: 30 }, difference: 10, relative_difference: 0.0833 });
    const better = metric({ name: 'custom:csat', difference: 0.1 });
    const result = recommend(input({ metrics: [metric(), latency, better] }));
    expect(result.decision).toBe('ship_b');
    expect(result.reasons).toEqual([
      'b is significantly better on custom:accuracy (a 0.8, b 0.84, +5%, sequential p = 0.002)',
      'note: b is significantly worse on latency_ms (a 120, b 130, +8.33%, sequential p = 0.002)',
    ]);
  });
});
