import { beforeEach, describe, expect, it } from 'vitest';
import { buildSnapshot, momentsFrom } from './build-snapshot.js';
import { computeResults } from './results.js';
import type { LatencyArmSummary, MeanArmSummary, ResultsDocument } from './results-document.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';
import type { VariantSnapshot } from './variant-snapshot.js';
import { baseInput, byName, nonFinitePaths } from './results-spec-support.js';

const expectClose = (actual: number | null | undefined, expected: number | null, label: string): void =>
  expect(toleranceViolation(actual, expected, label)).toBeNull();

describe('computeResults against scipy.stats (whole document)', () => {
  const { input, expected } = scipyReference.results;
  // Computed before each test, not once per file (beforeAll) nor while the specs are collected:
  // Stryker credits a test with the code it runs between its own beforeEach and afterEach only, so
  // a document computed in beforeAll would count as static coverage and its mutants would be
  // tested against other specs.
  let doc: ResultsDocument;
  beforeEach(() => {
    doc = computeResults({ ...input, computedAt: new Date(input.computedAt) });
  });

  it('lists error_rate, latency_ms, declared custom metrics, then undeclared ones alphabetically', () => {
    expect(doc.metrics.map((m) => m.name)).toEqual(expected.metrics.map((m) => m.name));
    expect(doc.metrics.map((m) => m.name)).toEqual(['error_rate', 'latency_ms', 'custom:accuracy', 'custom:b_extra', 'custom:zeta_extra']);
  });

  it.each(expected.metrics.map((m) => [m.name, m] as const))('%s matches scipy', (name, e) => {
    const m = byName(doc.metrics, name);
    for (const arm of ['a', 'b'] as const) {
      expect(m[arm].n).toBe(e[arm].n);
      expectClose(m[arm].mean, e[arm].mean, `${arm}.mean`);
      if (e[arm].std_dev !== undefined) expectClose((m[arm] as MeanArmSummary).std_dev, e[arm].std_dev!, `${arm}.std_dev`);
    }
    expectClose(m.difference, e.difference, 'difference');
    expectClose(m.relative_difference, e.relative_difference, 'relative_difference');
    expectClose(m.ci95![0], e.ci95[0], 'ci95 low');
    expectClose(m.ci95![1], e.ci95[1], 'ci95 high');
    expectClose(m.p_value, e.p_value, 'p_value');
    expectClose(m.probability_b_better, e.probability_b_better, 'probability_b_better');
    expectClose(m.sequential_p_value, e.sequential_p_value, 'sequential_p_value');
    expect(m.significant).toBe(e.sequential_p_value < 0.05);
  });

  it('passes the sketch quantiles through for latency', () => {
    const latency = byName(doc.metrics, 'latency_ms');
    expect((latency.b as LatencyArmSummary).p95).toBe(input.current.b.latency.p95);
  });

  it('tests the sample ratio across the two split versions', () => {
    expectClose(doc.sample_ratio.chi_square, expected.sample_ratio.chi_square, 'chi_square');
    expectClose(doc.sample_ratio.p_value, expected.sample_ratio.p_value, 'p_value');
    expectClose(doc.sample_ratio.expected.a, expected.sample_ratio.expected_share!, 'expected share');
  });

  it('judges on the declared primary metric and ships b', () => {
    expect(doc.criteria.map((c) => [c.name, c.met])).toEqual([
      ['min_requests', true],
      ['max_error_rate', true],
      ['max_latency_ms', true],
      ['min_improvement', true],
    ]);
    expect(doc.criteria[3].observed).toMatchObject({ metric: 'custom:accuracy' });
    expect(doc.recommendation.decision).toBe('ship_b');
    expect(doc.recommendation.reasons[0]).toMatch(/^b is significantly better on custom:accuracy/);
  });

  it('never reports a larger sequential p-value for having seen earlier looks', () => {
    const withoutLooks = computeResults({ ...input, looks: [], computedAt: new Date(input.computedAt) });
    for (const m of doc.metrics) {
      expect(byName(withoutLooks.metrics, m.name).sequential_p_value!).toBeGreaterThanOrEqual(m.sequential_p_value!);
    }
  });
});

describe('computeResults on the contract example', () => {
  let doc: ResultsDocument;
  beforeEach(() => {
    doc = computeResults(
      baseInput({
        assignmentsBySplitVersion: [{ split: { a: 0.5, b: 0.5 }, a: 1000, b: 1012 }],
        criteria: { min_requests: 10000 },
        current: { a: buildSnapshot({ requests: 1000, errors: 5 }), b: buildSnapshot({ requests: 1012, errors: 3 }) },
      }),
    );
  });

  it('reproduces the numbers shown in DESIGN.md', () => {
    expect(doc.test_id).toBe('test-1');
    expect(doc.status).toBe('active');
    expect(doc.computed_at).toBe('2026-03-01T12:00:00.000Z');
    expect(doc.sample_ratio).toMatchObject({ expected: { a: 0.5, b: 0.5 }, observed: { a: 1000, b: 1012 }, mismatch: false });
    expect(doc.sample_ratio.chi_square).toBeCloseTo(0.0716, 4);
    expect(doc.sample_ratio.p_value).toBeCloseTo(0.789, 3);
    const errorRate = doc.metrics[0];
    expect(errorRate).toMatchObject({ name: 'error_rate', kind: 'proportion', higher_is_better: false, a: { n: 1000, mean: 0.005 }, significant: false });
    expect(errorRate.difference).toBeCloseTo(-0.002, 3);
    expect(errorRate.p_value).toBeCloseTo(0.47, 2);
    expect(Math.abs(errorRate.probability_b_better! - 0.76)).toBeLessThan(0.01);
    expect(errorRate.sequential_p_value).toBe(1);
    expect(doc.criteria).toEqual([{ name: 'min_requests', threshold: 10000, observed: { a: 1000, b: 1012 }, met: false }]);
    expect(doc.recommendation).toEqual({
      decision: 'keep_running',
      reasons: ['min_requests not reached: 1000 of 10000 in a', 'min_requests not reached: 1012 of 10000 in b'],
    });
  });

  it('has exactly the keys of the contract', () => {
    expect(Object.keys(doc)).toEqual(['test_id', 'status', 'computed_at', 'sample_ratio', 'metrics', 'criteria', 'recommendation']);
    expect(Object.keys(doc.sample_ratio)).toEqual(['expected', 'observed', 'chi_square', 'p_value', 'mismatch']);
    const metricKeys = ['name', 'kind', 'higher_is_better', 'a', 'b', 'difference', 'relative_difference', 'ci95', 'p_value', 'sequential_p_value', 'probability_b_better', 'significant'];
    for (const m of doc.metrics) expect(Object.keys(m)).toEqual(metricKeys);
    expect(Object.keys(doc.metrics[0].a)).toEqual(['n', 'mean']);
    expect(Object.keys(doc.metrics[1].a)).toEqual(['n', 'mean', 'std_dev', 'p50', 'p95', 'p99']);
    expect(Object.keys(doc.criteria[0])).toEqual(['name', 'threshold', 'observed', 'met']);
    expect(Object.keys(doc.recommendation)).toEqual(['decision', 'reasons']);
  });
});

describe('computeResults null handling', () => {
  const inferential = ['difference', 'relative_difference', 'ci95', 'p_value', 'sequential_p_value', 'probability_b_better'] as const;

  it.each<[string, VariantSnapshot, VariantSnapshot, string]>([
    ['no requests at all', buildSnapshot(), buildSnapshot(), 'error_rate'],
    ['one request in a', buildSnapshot({ requests: 1, errors: 1 }), buildSnapshot({ requests: 500, errors: 5 }), 'error_rate'],
    ['one latency in b', buildSnapshot({ latency: momentsFrom(100, 120, 900) }), buildSnapshot({ latency: { n: 1, sum: 80, sumSquares: 6400 } }), 'latency_ms'],
    ['custom metric recorded by one arm only', buildSnapshot({ custom: { score: momentsFrom(50, 3, 1) } }), buildSnapshot(), 'custom:score'],
  ])('%s: comparison fields are null, not NaN', (_label, a, b, name) => {
    const doc = computeResults(baseInput({ current: { a, b } }));
    const m = byName(doc.metrics, name);
    for (const field of inferential) expect(m[field], field).toBeNull();
    expect(m.significant).toBe(false);
    expect(nonFinitePaths(doc)).toEqual([]);
  });

  it('keeps per-arm descriptives where they exist', () => {
    const doc = computeResults(baseInput({ current: { a: buildSnapshot({ requests: 1, errors: 0, latency: { n: 1, sum: 80, sumSquares: 6400, p50: 80, p95: 80, p99: 80 } }), b: buildSnapshot() } }));
    expect(doc.metrics[0].a).toEqual({ n: 1, mean: 0 });
    expect(doc.metrics[0].b).toEqual({ n: 0, mean: null });
    expect(doc.metrics[1].a).toEqual({ n: 1, mean: 80, std_dev: null, p50: 80, p95: 80, p99: 80 });
  });

  it('reports a zero error rate in both arms as no difference, not NaN', () => {
    const doc = computeResults(baseInput({ current: { a: buildSnapshot({ requests: 5000 }), b: buildSnapshot({ requests: 5000 }) } }));
    expect(doc.metrics[0]).toMatchObject({ difference: 0, relative_difference: null, ci95: [0, 0], p_value: 1, sequential_p_value: 1, probability_b_better: 0.5, significant: false });
  });

  it('turns a NaN that reached the aggregates into nulls, not NaN in the JSON', () => {
    const broken = { n: 50, sum: Number.NaN, sumSquares: Number.NaN };
    const doc = computeResults(baseInput({ current: { a: buildSnapshot({ custom: { score: broken } }), b: buildSnapshot({ custom: { score: momentsFrom(50, 3, 1) } }) } }));
    const m = byName(doc.metrics, 'custom:score');
    expect(m.a).toEqual({ n: 50, mean: null, std_dev: 0 });
    for (const field of ['difference', 'relative_difference', 'ci95', 'p_value', 'probability_b_better'] as const) expect(m[field], field).toBeNull();
    expect(nonFinitePaths(doc)).toEqual([]);
  });

  it('writes a zero relative difference of negative means as 0, not −0 (JSON has no −0)', () => {
    // (b − a)/a = 0/(−5) = −0 in floating point.
    const doc = computeResults(baseInput({ current: { a: buildSnapshot({ custom: { delta: momentsFrom(40, -5, 4) } }), b: buildSnapshot({ custom: { delta: momentsFrom(40, -5, 4) } }) } }));
    expect(Object.is(byName(doc.metrics, 'custom:delta').relative_difference, 0)).toBe(true);
  });
});

describe('computeResults metric declarations', () => {
  const current = {
    a: buildSnapshot({ custom: { zeta: momentsFrom(100, 1, 1), alpha: momentsFrom(100, 1, 1), tta: momentsFrom(100, 50, 100) } }),
    b: buildSnapshot({ custom: { zeta: momentsFrom(100, 1, 1), beta: momentsFrom(100, 1, 1), tta: momentsFrom(100, 40, 100) } }),
  };
  let doc: ResultsDocument;
  beforeEach(() => {
    doc = computeResults(baseInput({ current, metricDeclarations: [{ name: 'tta', higher_is_better: false }, { name: 'declared_unused', higher_is_better: true }] }));
  });

  it('orders declared metrics first, even without data, then the rest alphabetically', () => {
    expect(doc.metrics.map((m) => m.name)).toEqual(['error_rate', 'latency_ms', 'custom:tta', 'custom:declared_unused', 'custom:alpha', 'custom:beta', 'custom:zeta']);
  });

  it('compares custom metrics as means, with the arm fields of a mean (no latency quantiles)', () => {
    expect(doc.metrics.map((m) => m.kind)).toEqual(['proportion', 'mean', 'mean', 'mean', 'mean', 'mean', 'mean']);
    expect(Object.keys(byName(doc.metrics, 'custom:tta').a)).toEqual(['n', 'mean', 'std_dev']);
    expect(byName(doc.metrics, 'custom:tta').a).toEqual({ n: 100, mean: 50, std_dev: 10 });
  });

  it('keeps the first of two declarations of one name', () => {
    const twice = computeResults(baseInput({ current, metricDeclarations: [{ name: 'tta', higher_is_better: false }, { name: 'tta', higher_is_better: true }] }));
    expect(twice.metrics.map((m) => [m.name, m.higher_is_better])).toEqual([
      ['error_rate', false],
      ['latency_ms', false],
      ['custom:tta', false],
      ['custom:alpha', true],
      ['custom:beta', true],
      ['custom:zeta', true],
    ]);
  });

  it('honours lower-is-better declarations and defaults the rest to higher-is-better', () => {
    expect(doc.metrics.map((m) => m.higher_is_better)).toEqual([false, false, false, true, true, true, true]);
    const tta = byName(doc.metrics, 'custom:tta');
    expect(tta.difference).toBe(-10);
    expect(tta.probability_b_better).toBeGreaterThan(0.99);
  });
});

describe('computeResults sequential p-value over looks', () => {
  // b's errors ran high early, then the arms converged: the evidence seen earlier is kept.
  const look = (errorsA: number, errorsB: number, n: number) => ({ a: buildSnapshot({ requests: n, errors: errorsA }), b: buildSnapshot({ requests: n, errors: errorsB }) });

  it('is the running minimum over all looks, so a later look cannot undo an earlier crossing', () => {
    const early = look(50, 120, 2500);
    const now = look(200, 215, 10000);
    const withHistory = computeResults(baseInput({ current: now, looks: [early] })).metrics[0];
    const onlyNow = computeResults(baseInput({ current: now })).metrics[0];
    const onlyEarly = computeResults(baseInput({ current: early })).metrics[0];
    expect(onlyEarly.sequential_p_value).toBeLessThan(0.05);
    expect(onlyNow.sequential_p_value).toBe(1);
    expect(withHistory.sequential_p_value).toBe(onlyEarly.sequential_p_value);
    expect(withHistory.significant).toBe(true);
    expect(withHistory.p_value).toBeGreaterThan(0.4);
  });

  it('ignores looks with fewer than 30 per arm', () => {
    const tiny = look(0, 20, 25);
    expect(computeResults(baseInput({ current: look(100, 100, 5000), looks: [tiny] })).metrics[0].sequential_p_value).toBe(1);
  });
});
