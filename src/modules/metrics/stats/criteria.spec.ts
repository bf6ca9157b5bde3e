import { describe, expect, it } from 'vitest';
import { buildSnapshot, momentsFrom } from './build-snapshot.js';
import { declaredCriteria, evaluateCriteria, primaryMetricName, type Criteria, type PrimaryMetric } from './criteria.js';

const current = {
  a: buildSnapshot({ requests: 1000, errors: 10, latency: { p95: 180 } }),
  b: buildSnapshot({ requests: 1012, errors: 8, latency: { p95: 210 } }),
};
const accuracy: PrimaryMetric = { name: 'custom:accuracy', higherIsBetter: true, a: 0.8, b: 0.82 };
const latency: PrimaryMetric = { name: 'latency_ms', higherIsBetter: false, a: 120, b: 108 };

describe('evaluateCriteria', () => {
  it.each<[string, Criteria, PrimaryMetric, unknown]>([
    ['min_requests not reached in a', { min_requests: 1005 }, accuracy, { name: 'min_requests', threshold: 1005, observed: { a: 1000, b: 1012 }, met: false }],
    ['min_requests reached in both', { min_requests: 1000 }, accuracy, { name: 'min_requests', threshold: 1000, observed: { a: 1000, b: 1012 }, met: true }],
    ['max_error_rate met on b', { max_error_rate: 0.008 }, accuracy, { name: 'max_error_rate', threshold: 0.008, observed: 8 / 1012, met: true }],
    ['max_error_rate missed on b', { max_error_rate: 0.005 }, accuracy, { name: 'max_error_rate', threshold: 0.005, observed: 8 / 1012, met: false }],
    ['max_latency_ms compared at b’s p95', { max_latency_ms: 200 }, accuracy, { name: 'max_latency_ms', threshold: 200, observed: 210, met: false }],
    ['max_latency_ms met', { max_latency_ms: 210 }, accuracy, { name: 'max_latency_ms', threshold: 210, observed: 210, met: true }],
    [
      'min_improvement on a higher-is-better metric',
      { min_improvement: 0.02 },
      accuracy,
      { name: 'min_improvement', threshold: 0.02, observed: { metric: 'custom:accuracy', a: 0.8, b: 0.82, improvement: expect.closeTo(0.025, 12) }, met: true },
    ],
    [
      'min_improvement on a lower-is-better metric: (a − b)/a',
      { min_improvement: 0.2 },
      latency,
      { name: 'min_improvement', threshold: 0.2, observed: { metric: 'latency_ms', a: 120, b: 108, improvement: expect.closeTo(0.1, 12) }, met: false },
    ],
    [
      'min_improvement undefined when a is 0',
      { min_improvement: 0.01 },
      { name: 'error_rate', higherIsBetter: false, a: 0, b: 0.01 },
      { name: 'min_improvement', threshold: 0.01, observed: { metric: 'error_rate', a: 0, b: 0.01, improvement: null }, met: false },
    ],
  ])('%s', (_label, criteria, primary, expected) => {
    const [result] = evaluateCriteria(criteria, current, primary);
    expect(result).toEqual(expected);
  });

  it('lists only declared criteria, in contract order', () => {
    const results = evaluateCriteria({ min_improvement: 0.01, max_latency_ms: 300, min_requests: 10 }, current, accuracy);
    expect(results.map((r) => r.name)).toEqual(['min_requests', 'max_latency_ms', 'min_improvement']);
    expect(evaluateCriteria(null, current, accuracy)).toEqual([]);
    expect(evaluateCriteria({}, current, accuracy)).toEqual([]);
  });

  it('does not count a guardrail as met before b has data', () => {
    const empty = { a: buildSnapshot(), b: buildSnapshot() };
    const results = evaluateCriteria({ max_error_rate: 0.01, max_latency_ms: 100 }, empty, accuracy);
    expect(results).toEqual([
      { name: 'max_error_rate', threshold: 0.01, observed: null, met: false },
      { name: 'max_latency_ms', threshold: 100, observed: null, met: false },
    ]);
  });

  it.each<[string, Criteria, { a: number; b: number; errorsB?: number; p95B?: number | null }, boolean]>([
    ['min_requests: b exactly at the threshold', { min_requests: 1000 }, { a: 1200, b: 1000 }, true],
    ['min_requests: b one short', { min_requests: 1000 }, { a: 1200, b: 999 }, false],
    ['max_error_rate: exactly at the limit', { max_error_rate: 0.01 }, { a: 1000, b: 1000, errorsB: 10 }, true],
    ['max_error_rate: one error over', { max_error_rate: 0.01 }, { a: 1000, b: 1000, errorsB: 11 }, false],
    ['max_latency_ms: an infinite p95 is no data', { max_latency_ms: 200 }, { a: 10, b: 10, p95B: Infinity }, false],
  ])('boundary: %s', (_label, criteria, arms, met) => {
    const snapshots = {
      a: buildSnapshot({ requests: arms.a }),
      b: buildSnapshot({ requests: arms.b, errors: arms.errorsB ?? 0, latency: { p95: arms.p95B ?? null } }),
    };
    const [result] = evaluateCriteria(criteria, snapshots, accuracy);
    expect(result!.met).toBe(met);
    if (arms.p95B === Infinity) expect(result!.observed).toBeNull();
  });

  it.each<[string, PrimaryMetric, number, number | null, boolean]>([
    ['improvement exactly at min_improvement', { name: 'custom:csat', higherIsBetter: true, a: 100, b: 110 }, 0.1, 0.1, true],
    ['lower-is-better, exactly at min_improvement', { name: 'latency_ms', higherIsBetter: false, a: 100, b: 90 }, 0.1, 0.1, true],
    ['no value for b yet', { name: 'custom:csat', higherIsBetter: true, a: 100, b: null }, 0.1, null, false],
    ['no value for a yet', { name: 'custom:csat', higherIsBetter: true, a: null, b: 100 }, 0.1, null, false],
    ['undefined improvement is not met even at a threshold of 0', { name: 'error_rate', higherIsBetter: false, a: 0, b: 0.01 }, 0, null, false],
  ])('min_improvement: %s', (_label, primary, threshold, improvement, met) => {
    const [result] = evaluateCriteria({ min_improvement: threshold }, current, primary);
    expect(result).toEqual({ name: 'min_improvement', threshold, observed: { metric: primary.name, a: primary.a, b: primary.b, improvement }, met });
  });

  it('ignores thresholds that are not finite numbers', () => {
    const stored = { min_requests: '100', max_error_rate: Number.NaN, max_latency_ms: 250 } as unknown as Criteria;
    expect(declaredCriteria(stored)).toEqual({ max_latency_ms: 250 });
  });
});

describe('primaryMetricName', () => {
  const withAccuracy = { a: buildSnapshot({ custom: { accuracy: momentsFrom(10, 0.8, 0.1) } }), b: buildSnapshot() };
  it.each([
    ['first declared custom metric with data', [{ name: 'accuracy', higher_is_better: true }], withAccuracy, 'custom:accuracy'],
    ['declared but never recorded: error rate', [{ name: 'accuracy', higher_is_better: true }], current, 'error_rate'],
    ['only the first declaration counts', [{ name: 'csat', higher_is_better: true }, { name: 'accuracy', higher_is_better: true }], withAccuracy, 'error_rate'],
    ['undeclared metrics never become primary', [], withAccuracy, 'error_rate'],
    ['first declared custom metric recorded in b only', [{ name: 'accuracy', higher_is_better: true }], { a: buildSnapshot(), b: buildSnapshot({ custom: { accuracy: momentsFrom(3, 0.8, 0.1) } }) }, 'custom:accuracy'],
    ['declared, with an empty entry in both arms', [{ name: 'accuracy', higher_is_better: true }], { a: buildSnapshot({ custom: { accuracy: momentsFrom(0, 0, 0) } }), b: buildSnapshot({ custom: { accuracy: momentsFrom(0, 0, 0) } }) }, 'error_rate'],
  ])('%s', (_label, declarations, snapshots, expected) => {
    expect(primaryMetricName(declarations, snapshots)).toBe(expected);
  });
});
