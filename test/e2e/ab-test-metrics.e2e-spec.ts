/**
 * Metrics of A/B tests end to end, through HTTP against PostgreSQL: batches posted to
 * POST /ab-tests/{id}/metrics come back in GET /ab-tests/{id} and GET /ab-tests/{id}/results with
 * the numbers an independent tool gives (scipy.stats: the committed fixture, or values computed
 * with scipy on the same data and quoted below), in-process recordings after a flush and at
 * shutdown, chart series, sample ratio across a ramp, guardrails that pause, and results frozen
 * when a test completes.
 *
 * The app flushes in-process recordings only when told (METRICS_FLUSH_MS one hour), so every
 * number here is deterministic.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AbTestsService } from '../../src/modules/ab-tests/ab-tests.service.js';
import { GuardrailService } from '../../src/modules/ab-tests/results/guardrail.service.js';
import type { MetricEvent } from '../../src/modules/metrics/metric-events.js';
import { MetricsQueryService } from '../../src/modules/metrics/metrics-query.service.js';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { meanSequentialPValue, proportionSequentialPValue } from '../../src/modules/metrics/stats/index.js';
import { scipyReference, toleranceViolation } from '../../src/modules/metrics/stats/scipy-reference.js';
import { bearer, registerModelType, startAbTest, createAbTest, type AbTestBody } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

type Variant = 'a' | 'b';

/* Latencies with known statistics: a 80–180 ms (1,000 requests, 5 errors), b 75–171 ms (1,012, 3 errors). */
const LATENCY_A = Array.from({ length: 1000 }, (_, i) => 80 + ((i * 37) % 101));
const LATENCY_B = Array.from({ length: 1012 }, (_, i) => 75 + ((i * 53) % 97));
/*
 * scipy 1.17 on the same values:
 *   a, b = [80 + i*37 % 101 for i in range(1000)], [75 + i*53 % 97 for i in range(1012)]
 *   r = scipy.stats.ttest_ind(b, a, equal_var=False); r.pvalue, r.confidence_interval(0.95)
 *   se = sqrt(var(a, ddof=1)/1000 + var(b, ddof=1)/1012); scipy.stats.norm.cdf(-(mean(b) - mean(a))/se)
 */
const SCIPY_LATENCY = {
  a: { mean: 130.01, std_dev: 29.194146642746695 },
  b: { mean: 122.87154150197628, std_dev: 28.01231360573861 },
  difference: -7.138458498023709,
  p_value: 2.5054837240966665e-8,
  ci95: [-9.6405050210212, -4.636411975026219] as [number, number],
  probability_b_better: 0.9999999889847878,
};
/* handle_time (lower is better): a 30, 40, 50; b 20, 30. scipy: ttest_ind(b, a, equal_var=False). */
const SCIPY_HANDLE_TIME = { p_value: 0.14802788180389803, ci95: [-39.877337982053824, 9.877337982053824] as [number, number], probability_b_better: 0.9752326932821866 };

const ERROR_RATE_CASE = scipyReference.two_proportion[0]!; // a 5/1000, b 3/1012: the contract example
const ACCURACY_CASE = scipyReference.welch.find((c) => c.source === 'samples:0/1 accuracy')!; // a 1186/1500, b 1286/1550
const SRM_CASE = scipyReference.sample_ratio[0]!; // 1000 / 1012 at 50/50
const RAMP_SRM_CASE = scipyReference.sample_ratio.find((c) => c.label === 'ramp with mismatch under split version 2')!;
const GUARDRAIL_CASE = scipyReference.rate_exceeds[0]!; // 60 errors in 300 requests against 1%

function expectScipy(actual: number | null | undefined, expected: number | null, label: string): void {
  expect(toleranceViolation(actual, expected, label)).toBeNull();
}

/** The element of rank ⌊q·(n − 1)⌋, which the sketch reports within 1%. */
function lowerRankQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function expectWithinSketchError(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! / expected - 1)).toBeLessThanOrEqual(0.01);
}

function meanOf(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function momentsOf(values: readonly number[]): { n: number; sum: number; sumSquares: number } {
  return { n: values.length, sum: values.reduce((s, v) => s + v, 0), sumSquares: values.reduce((s, v) => s + v * v, 0) };
}

function zeroOnes(n: number, ones: number): number[] {
  return Array.from({ length: n }, (_, i) => (i < ones ? 1 : 0));
}

/**
 * Request outcomes (errors first) and custom values of the main scenario, shuffled between
 * variants, all at one `timestamp`: one minute and one hour, so the always-valid p-value has no
 * earlier look even when the batches straddle an hour boundary.
 */
function knownEvents(timestamp: string): MetricEvent[] {
  const events: MetricEvent[] = [];
  LATENCY_A.forEach((latency, i) => events.push({ variant: 'a', latency_ms: latency, error: i < ERROR_RATE_CASE.a.events, user_id: `user-a-${i}` }));
  LATENCY_B.forEach((latency, i) => events.push({ variant: 'b', latency_ms: latency, ...(i < ERROR_RATE_CASE.b.events ? { error: true } : {}) }));
  for (const value of zeroOnes(ACCURACY_CASE.a.n, ACCURACY_CASE.moments!.a.sum)) events.push({ variant: 'a', metric: 'accuracy', value });
  for (const value of zeroOnes(ACCURACY_CASE.b.n, ACCURACY_CASE.moments!.b.sum)) events.push({ variant: 'b', metric: 'accuracy', value });
  for (const value of [30, 40, 50]) events.push({ variant: 'a', metric: 'handle_time', value });
  for (const value of [20, 30]) events.push({ variant: 'b', metric: 'handle_time', value });
  events.push({ variant: 'b', metric: 'zeta', value: 7 });
  // Interleave deterministically so each batch holds both variants and both kinds of event.
  return events
    .map((event, i) => ({ event: { ...event, timestamp }, key: (i * 7919) % events.length }))
    .sort((x, y) => x.key - y.key)
    .map(({ event }) => event);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('A/B test metrics over HTTP', () => {
  let t: TestApp;
  const admin = () => bearer(t.tokens.admin);
  const service = () => bearer(t.tokens.service);
  const post = (testId: string, body: unknown, auth = service()) => t.http().post(`/api/v1/ab-tests/${testId}/metrics`).set(auth).send(body as object);
  const newModelType = () =>
    registerModelType(t, [
      { version: 'v1.0.0', stage: 'production' },
      { version: 'v2.0.0', stage: 'staging' },
    ]);
  const startTest = async (overrides: Partial<AbTestBody> = {}) => startAbTest(t, { model_type: await newModelType(), ...overrides });
  const requestsStored = async (testId: string): Promise<number> => {
    const [row] = (await t.dataSource.query(`SELECT coalesce(sum(count), 0)::float8 AS n FROM metric_aggregates WHERE ab_test_id = $1 AND metric = 'requests'`, [testId])) as Array<{ n: number }>;
    return row!.n;
  };
  const storedRows = async (testId: string): Promise<number> => {
    const [row] = (await t.dataSource.query('SELECT count(*)::int AS n FROM metric_aggregates WHERE ab_test_id = $1', [testId])) as Array<{ n: number }>;
    return row!.n;
  };
  /** Assignment rows written directly: `count` users of `variant` under `splitVersion`. */
  const insertAssignments = (testId: string, variant: Variant, count: number, splitVersion = 1) =>
    t.dataSource.query(
      `INSERT INTO ab_test_assignments (ab_test_id, user_id, variant, split_version)
       SELECT $1, $2 || g, $3::ab_test_variant, $4 FROM generate_series(1, $5) AS g`,
      [testId, `u-${randomUUID().slice(0, 8)}-`, variant, splitVersion, count],
    );

  beforeAll(async () => {
    t = await createTestApp({ METRICS_FLUSH_MS: '3600000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('known batches: GET /ab-tests/{id} and /results give the reference numbers', () => {
    let testId: string;

    beforeAll(async () => {
      testId = await startTest({
        metrics: [{ name: 'accuracy', higher_is_better: true }, { name: 'handle_time', higher_is_better: false }],
        criteria: { min_requests: 1000, max_error_rate: 0.01, max_latency_ms: 200, min_improvement: 0.01 },
      });
      await insertAssignments(testId, 'a', SRM_CASE.splitVersions[0]!.a);
      await insertAssignments(testId, 'b', SRM_CASE.splitVersions[0]!.b);
      const events = knownEvents(new Date().toISOString());
      const half = Math.floor(events.length / 2);
      const first = await post(testId, { events: events.slice(0, half) }).expect(200);
      const second = await post(testId, { events: events.slice(half) }).expect(200);
      const requests = (list: MetricEvent[]) => list.filter((e) => e.metric === undefined).length;
      expect(first.body).toEqual({ accepted: half, requests: requests(events.slice(0, half)), custom: half - requests(events.slice(0, half)), comparisons: 0 });
      expect(second.body.accepted).toBe(events.length - half);
      expect(first.body.requests + second.body.requests).toBe(LATENCY_A.length + LATENCY_B.length);
    });

    it('stores the batches: 2xx means the rows are in PostgreSQL', async () => {
      expect(await requestsStored(testId)).toBe(2012);
    });

    it("GET /ab-tests/{id}: the seed's per-variant metrics and assignment counts", async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${testId}`).set(service()).expect(200);
      const { variant_a: a, variant_b: b } = res.body.metrics;
      expect(a).toMatchObject({ requests: 1000, errors: 5, error_rate: 0.005 });
      expect(b).toMatchObject({ requests: 1012, errors: 3, error_rate: 3 / 1012 });
      expect(a.avg_latency).toBeCloseTo(meanOf(LATENCY_A), 9);
      expect(b.avg_latency).toBeCloseTo(meanOf(LATENCY_B), 9);
      for (const [summary, values] of [
        [a, LATENCY_A],
        [b, LATENCY_B],
      ] as const) {
        expectWithinSketchError(summary.p50_latency, lowerRankQuantile(values, 0.5));
        expectWithinSketchError(summary.p95_latency, lowerRankQuantile(values, 0.95));
        expectWithinSketchError(summary.p99_latency, lowerRankQuantile(values, 0.99));
      }
      expect(a.custom).toEqual({ accuracy: { count: 1500, mean: 1186 / 1500 }, handle_time: { count: 3, mean: 40 } });
      expect(b.custom).toEqual({ accuracy: { count: 1550, mean: 1286 / 1550 }, handle_time: { count: 2, mean: 25 }, zeta: { count: 1, mean: 7 } });
      expect(res.body.assignments).toEqual({ variant_a: 1000, variant_b: 1012, total: 2012 });
    });

    it('/results: error_rate matches scipy (pooled z-test, Wald CI)', async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      expect(res.body).toMatchObject({ test_id: testId, status: 'active' });
      expect(Date.parse(res.body.computed_at)).toBeGreaterThan(Date.now() - 60_000);
      const errorRate = res.body.metrics[0];
      const expected = ERROR_RATE_CASE.expected!;
      expect(errorRate).toMatchObject({ name: 'error_rate', kind: 'proportion', higher_is_better: false, a: { n: 1000, mean: 0.005 }, b: { n: 1012, mean: 3 / 1012 } });
      expectScipy(errorRate.difference, expected.difference, 'difference');
      expectScipy(errorRate.relative_difference, expected.relative_difference, 'relative_difference');
      expectScipy(errorRate.p_value, expected.p_value, 'p_value');
      expectScipy(errorRate.ci95[0], expected.ci95[0], 'ci95 low');
      expectScipy(errorRate.ci95[1], expected.ci95[1], 'ci95 high');
      expectScipy(errorRate.probability_b_better, expected.probability_b_better_lower, 'probability_b_better');
      // All events are in the current hour (no earlier looks): the mSPRT value of this look.
      expect(errorRate.sequential_p_value).toBeCloseTo(proportionSequentialPValue({ n: 1000, events: 5 }, { n: 1012, events: 3 }, 1000), 12);
      expect(errorRate.significant).toBe(errorRate.sequential_p_value < 0.05);
    });

    it('/results: latency_ms matches scipy (Welch), percentiles within the sketch’s 1%', async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      const latency = res.body.metrics[1];
      expect(latency).toMatchObject({ name: 'latency_ms', kind: 'mean', higher_is_better: false, a: { n: 1000 }, b: { n: 1012 } });
      for (const variant of ['a', 'b'] as const) {
        expectScipy(latency[variant].mean, SCIPY_LATENCY[variant].mean, `${variant} mean`);
        expectScipy(latency[variant].std_dev, SCIPY_LATENCY[variant].std_dev, `${variant} std_dev`);
        const values = variant === 'a' ? LATENCY_A : LATENCY_B;
        expectWithinSketchError(latency[variant].p50, lowerRankQuantile(values, 0.5));
        expectWithinSketchError(latency[variant].p95, lowerRankQuantile(values, 0.95));
        expectWithinSketchError(latency[variant].p99, lowerRankQuantile(values, 0.99));
      }
      expectScipy(latency.difference, SCIPY_LATENCY.difference, 'difference');
      expectScipy(latency.relative_difference, SCIPY_LATENCY.difference / SCIPY_LATENCY.a.mean, 'relative_difference');
      expectScipy(latency.p_value, SCIPY_LATENCY.p_value, 'p_value');
      expectScipy(latency.ci95[0], SCIPY_LATENCY.ci95[0], 'ci95 low');
      expectScipy(latency.ci95[1], SCIPY_LATENCY.ci95[1], 'ci95 high');
      expectScipy(latency.probability_b_better, SCIPY_LATENCY.probability_b_better, 'probability_b_better');
      expect(latency.sequential_p_value).toBeCloseTo(meanSequentialPValue(momentsOf(LATENCY_A), momentsOf(LATENCY_B), 1000), 9);
    });

    it('/results: custom metrics, declared first in declaration order, with their direction', async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      expect(res.body.metrics.map((m: { name: string }) => m.name)).toEqual(['error_rate', 'latency_ms', 'custom:accuracy', 'custom:handle_time', 'custom:zeta']);
      const [, , accuracy, handleTime, zeta] = res.body.metrics;
      const expected = ACCURACY_CASE.expected!;
      expect(accuracy).toMatchObject({ kind: 'mean', higher_is_better: true, a: { n: 1500 }, b: { n: 1550 } });
      expectScipy(accuracy.a.mean, ACCURACY_CASE.a.mean, 'a mean');
      expectScipy(accuracy.b.std_dev, Math.sqrt(ACCURACY_CASE.b.variance), 'b std_dev');
      expectScipy(accuracy.difference, expected.difference, 'difference');
      expectScipy(accuracy.p_value, expected.p_value, 'p_value');
      expectScipy(accuracy.ci95[0], expected.ci95[0], 'ci95 low');
      expectScipy(accuracy.ci95[1], expected.ci95[1], 'ci95 high');
      expectScipy(accuracy.probability_b_better, expected.probability_b_better_higher, 'probability_b_better');
      expect(accuracy.sequential_p_value).toBeCloseTo(meanSequentialPValue(ACCURACY_CASE.moments!.a, ACCURACY_CASE.moments!.b, 1000), 9);

      expect(handleTime).toMatchObject({ kind: 'mean', higher_is_better: false, a: { n: 3, mean: 40, std_dev: 10 }, b: { n: 2, mean: 25 }, difference: -15 });
      expectScipy(handleTime.b.std_dev, Math.SQRT2 * 5, 'b std_dev');
      expectScipy(handleTime.p_value, SCIPY_HANDLE_TIME.p_value, 'p_value');
      expectScipy(handleTime.ci95[0], SCIPY_HANDLE_TIME.ci95[0], 'ci95 low');
      expectScipy(handleTime.probability_b_better, SCIPY_HANDLE_TIME.probability_b_better, 'probability_b_better');
      // Fewer than 30 per arm: no sequential evidence yet.
      expect(handleTime).toMatchObject({ sequential_p_value: 1, significant: false });

      // Undeclared and only in b: higher is better by default, no comparison with n < 2.
      expect(zeta).toEqual({
        name: 'custom:zeta',
        kind: 'mean',
        higher_is_better: true,
        a: { n: 0, mean: null, std_dev: null },
        b: { n: 1, mean: 7, std_dev: null },
        difference: null,
        relative_difference: null,
        ci95: null,
        p_value: null,
        sequential_p_value: null,
        probability_b_better: null,
        significant: false,
      });
    });

    it('/results: sample ratio, criteria with their numbers, and a recommendation that explains itself', async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      expect(res.body.sample_ratio).toMatchObject({ expected: { a: 0.5, b: 0.5 }, observed: { a: 1000, b: 1012 }, mismatch: false });
      expectScipy(res.body.sample_ratio.chi_square, SRM_CASE.expected.chi_square, 'chi_square');
      expectScipy(res.body.sample_ratio.p_value, SRM_CASE.expected.p_value, 'SRM p_value');

      const [minRequests, maxErrorRate, maxLatency, minImprovement] = res.body.criteria;
      expect(minRequests).toEqual({ name: 'min_requests', threshold: 1000, observed: { a: 1000, b: 1012 }, met: true });
      expect(maxErrorRate).toEqual({ name: 'max_error_rate', threshold: 0.01, observed: 3 / 1012, met: true });
      expect(maxLatency).toMatchObject({ name: 'max_latency_ms', threshold: 200, met: true });
      expectWithinSketchError(maxLatency.observed, lowerRankQuantile(LATENCY_B, 0.95));
      const accuracyA = 1186 / 1500;
      const accuracyB = 1286 / 1550;
      expect(minImprovement).toMatchObject({ name: 'min_improvement', threshold: 0.01, observed: { metric: 'custom:accuracy', a: accuracyA, b: accuracyB }, met: true });
      expect(minImprovement.observed.improvement).toBeCloseTo((accuracyB - accuracyA) / accuracyA, 12);

      // Accuracy is the primary metric: b is ahead (fixed-horizon p ≈ 0.006), but not by the
      // always-valid p-value at this sample size, and min_requests is reached: no_difference.
      const accuracy = res.body.metrics[2];
      expect(accuracy.p_value).toBeLessThan(0.05);
      expect(accuracy).toMatchObject({ significant: false });
      expect(accuracy.sequential_p_value).toBeGreaterThan(0.05);
      expect(res.body.recommendation).toEqual({
        decision: 'no_difference',
        reasons: [expect.stringMatching(/^no significant difference on custom:accuracy \(a 0\.7907, b 0\.8297, \+4\.934%, sequential p = 0\.11\d*\) after reaching min_requests$/)],
      });
    });
  });

  describe('POST /ab-tests/{id}/metrics refusals', () => {
    it('one bad event → 400 naming its index; nothing of the batch is stored', async () => {
      const testId = await startTest();
      const events: unknown[] = Array.from({ length: 50 }, (_, i) => ({ variant: i % 2 === 0 ? 'a' : 'b', latency_ms: 10 }));
      events[17] = { variant: 'c', latency_ms: 10 };
      const res = await post(testId, { events }).expect(400);
      expect(res.body).toMatchObject({ status_code: 400, code: 'METRIC_EVENT_INVALID', message: 'events[17]: variant must be "a" or "b"', details: { index: 17 } });
      for (const [bad, message] of [
        [{ variant: 'a', latency_ms: -1 }, /^events\[3\]: latency_ms/],
        [{ variant: 'a', latency_ms: 'fast' }, /^events\[3\]: latency_ms/],
        [{ variant: 'a', metric: 'Click Rate', value: 1 }, /^events\[3\]: metric must be a lowercase slug/],
        [{ variant: 'a', metric: 'ctr' }, /^events\[3\]: a custom metric value needs both metric and value/],
        [{ variant: 'a', latency_ms: 5, metric: 'ctr', value: 1 }, /^events\[3\]: an event is either a request outcome/],
        [{ variant: 'a' }, /^events\[3\]: needs latency_ms/],
        [{ variant: 'a', error: 'yes' }, /^events\[3\]: error must be true or false/],
        [{ variant: 'a', error: true, extra: 1 }, /^events\[3\]: unknown field "extra"/],
      ] as const) {
        const batch = [...events.slice(0, 3), bad];
        const r = await post(testId, { events: batch }).expect(400);
        expect(r.body.message).toMatch(message);
      }
      expect(await storedRows(testId)).toBe(0);
    });

    it('a malformed body → 400, nothing stored', async () => {
      const testId = await startTest();
      for (const body of [{}, { events: [] }, { events: 'x' }, { events: [{ variant: 'a', error: true }], more: 1 }, [{ variant: 'a', error: true }]]) {
        const res = await post(testId, body).expect(400);
        expect(res.body.code).toBe('METRIC_EVENT_INVALID');
      }
      const tooMany = Array.from({ length: 10_001 }, () => ({ variant: 'a', error: false }));
      const res = await post(testId, { events: tooMany }).expect(400);
      expect(res.body.message).toMatch(/10001 events; at most 10000/);
      expect(await storedRows(testId)).toBe(0);
      // The largest batch is accepted.
      const largest = await post(testId, { events: tooMany.slice(0, 10_000) }).expect(200);
      expect(largest.body).toEqual({ accepted: 10_000, comparisons: 0, requests: 10_000, custom: 0 });
    });

    it('an unknown test → 404; a test id that is not a UUID → 400', async () => {
      const unknown = await post(randomUUID(), { events: [{ variant: 'a', error: true }] }).expect(404);
      expect(unknown.body.code).toBe('AB_TEST_NOT_FOUND');
      const malformed = await post('not-a-uuid', { events: [{ variant: 'a', error: true }] }).expect(400);
      expect(malformed.body.code).toBe('VALIDATION_FAILED');
    });

    it('a draft or completed test → 409 AB_TEST_NOT_RECORDING, nothing stored; a paused one records', async () => {
      const draft = await createAbTest(t, { model_type: await newModelType() });
      const res = await post(draft, { events: [{ variant: 'a', error: true }] }).expect(409);
      expect(res.body).toMatchObject({ code: 'AB_TEST_NOT_RECORDING', details: { test_id: draft, current_status: 'draft' } });

      const paused = await startTest();
      await t.http().post(`/api/v1/ab-tests/${paused}/pause`).set(admin()).expect(200);
      await post(paused, { events: [{ variant: 'b', latency_ms: 5 }] }).expect(200);

      await t.http().post(`/api/v1/ab-tests/${paused}/complete`).set(admin()).send({ winner: null }).expect(200);
      const completed = await post(paused, { events: [{ variant: 'a', error: true }] }).expect(409);
      expect(completed.body).toMatchObject({ code: 'AB_TEST_NOT_RECORDING', details: { current_status: 'completed' } });
      expect(completed.body.message).toMatch(/frozen/);
      expect(await storedRows(draft)).toBe(0);
      expect(await requestsStored(paused)).toBe(1);
    });

    it('service and admin tokens post; a user token is 403, no token 401', async () => {
      const testId = await startTest();
      await post(testId, { events: [{ variant: 'a', error: false }] }, admin()).expect(200);
      await post(testId, { events: [{ variant: 'a', error: false }] }, bearer(t.tokens.user('alice'))).expect(403);
      await t.http().post(`/api/v1/ab-tests/${testId}/metrics`).send({ events: [{ variant: 'a', error: false }] }).expect(401);
      expect(await requestsStored(testId)).toBe(1);
    });

    it('concurrent batches all count (group commit), and each 2xx is durable', async () => {
      const testId = await startTest();
      const batch = Array.from({ length: 200 }, (_, i) => ({ variant: i % 2 === 0 ? 'a' : 'b', latency_ms: i, error: i % 10 === 0 }));
      const responses = await Promise.all(Array.from({ length: 25 }, () => post(testId, { events: batch })));
      expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 25 }, () => 200));
      expect(await requestsStored(testId)).toBe(5000);
      const res = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(res.body.metrics.variant_a).toMatchObject({ requests: 2500, errors: 500 });
      expect(res.body.metrics.variant_b).toMatchObject({ requests: 2500, errors: 0 });
    });
  });

  describe('in-process recording', () => {
    it('recordRequest and the seed’s abTestService.recordMetric appear after a flush', async () => {
      const testId = await startTest();
      const metrics = t.app.get(MetricsService);
      const abTestService = t.app.get(AbTestsService);
      metrics.recordRequest(testId, 'a', { latencyMs: 100 });
      metrics.recordRequest(testId, 'a', { latencyMs: 300, error: true });
      metrics.recordRequest(testId, 'b', { latencyMs: 50 });
      await abTestService.recordMetric(testId, 'b', 'custom_metric', 0.5);
      await abTestService.recordMetric(testId, 'b', 'custom_metric', 1.5);

      const before = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(before.body.metrics.variant_a.requests).toBe(0);

      await metrics.flushNow();
      const after = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(after.body.metrics.variant_a).toMatchObject({ requests: 2, errors: 1, error_rate: 0.5, avg_latency: 200, custom: {} });
      expect(after.body.metrics.variant_b).toMatchObject({ requests: 1, errors: 0, avg_latency: 50, custom: { custom_metric: { count: 2, mean: 1 } } });
      const results = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      expect(results.body.metrics.find((m: { name: string }) => m.name === 'custom:custom_metric')).toMatchObject({ b: { n: 2, mean: 1 } });
    });

    it('a shutdown flushes what was recorded (another instance on the same database reads it)', async () => {
      const testId = await startTest();
      const other = await createTestApp({ METRICS_FLUSH_MS: '3600000' }, { database: { url: t.databaseUrl } });
      try {
        const metrics = other.app.get(MetricsService);
        for (let i = 0; i < 10; i++) metrics.recordRequest(testId, 'b', { latencyMs: 20, error: i < 4 });
        metrics.recordMetric(testId, 'a', 'accuracy', 1);
      } finally {
        await other.app.close();
      }
      const res = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(res.body.metrics.variant_b).toMatchObject({ requests: 10, errors: 4, error_rate: 0.4, avg_latency: 20 });
      expect(res.body.metrics.variant_a.custom).toEqual({ accuracy: { count: 1, mean: 1 } });
    });
  });

  describe('GET /ab-tests/{id}/timeseries', () => {
    let testId: string;
    const minute = 60_000;
    const base = Math.floor(Date.now() / minute) * minute - 30 * minute;
    const at = (m: number) => new Date(base + m * minute).toISOString();

    beforeAll(async () => {
      testId = await startTest();
      await post(testId, {
        events: [
          { variant: 'a', latency_ms: 100, timestamp: at(0) },
          { variant: 'a', latency_ms: 300, error: true, timestamp: at(0) },
          { variant: 'a', latency_ms: 200, timestamp: at(2) },
          { variant: 'b', error: true, timestamp: at(1) },
          { variant: 'b', metric: 'accuracy', value: 1, timestamp: at(1) },
          { variant: 'b', metric: 'accuracy', value: 0, timestamp: at(1) },
        ],
      }).expect(200);
    });

    const series = (query: Record<string, string>) => t.http().get(`/api/v1/ab-tests/${testId}/timeseries`).query(query).set(service());

    it('buckets per variant, oldest first, only buckets with data', async () => {
      const range = { from: at(-5), to: at(10) };
      const requests = await series({ metric: 'requests', interval: 'minute', ...range }).expect(200);
      expect(requests.body).toEqual({
        test_id: testId,
        metric: 'requests',
        interval: 'minute',
        from: at(-5),
        to: at(10),
        series: {
          a: [
            { bucket_start: at(0), value: 2, count: 2 },
            { bucket_start: at(2), value: 1, count: 1 },
          ],
          b: [{ bucket_start: at(1), value: 1, count: 1 }],
        },
      });
      const errorRate = await series({ metric: 'error_rate', interval: 'minute', ...range }).expect(200);
      expect(errorRate.body.series.a.map((p: { value: number }) => p.value)).toEqual([0.5, 0]);
      const latency = await series({ metric: 'latency_ms', interval: 'minute', ...range }).expect(200);
      expect(latency.body.series.a.map((p: { value: number; count: number }) => [p.value, p.count])).toEqual([
        [200, 2],
        [200, 1],
      ]);
      expectWithinSketchError(latency.body.series.a[0].p95, 100);
      const accuracy = await series({ metric: 'custom:accuracy', interval: 'minute', ...range }).expect(200);
      expect(accuracy.body.series).toEqual({ a: [], b: [{ bucket_start: at(1), value: 0.5, count: 2 }] });
    });

    it('hourly buckets by default; everything of the last 30 days', async () => {
      const res = await series({ metric: 'requests' }).expect(200);
      expect(res.body.interval).toBe('hour');
      const total = (points: Array<{ count: number }>) => points.reduce((n, p) => n + p.count, 0);
      expect([total(res.body.series.a), total(res.body.series.b)]).toEqual([3, 1]);
    });

    it('bad parameters → 400; an unknown test → 404', async () => {
      for (const query of [
        {} as Record<string, string>,
        { metric: 'clicks' },
        { metric: 'custom:Bad Name' },
        { metric: 'requests', interval: 'day' },
        { metric: 'requests', from: 'yesterday' },
        { metric: 'requests', sort: 'asc' },
      ]) {
        const res = await series(query).expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      const reversed = await series({ metric: 'requests', interval: 'minute', from: at(10), to: at(0) }).expect(400);
      expect(reversed.body.code).toBe('INVALID_TIME_RANGE');
      const tooLong = await series({ metric: 'requests', interval: 'minute', from: '2020-01-01T00:00:00Z', to: at(0) }).expect(400);
      expect(tooLong.body.code).toBe('INVALID_TIME_RANGE');
      const unknown = await t.http().get(`/api/v1/ab-tests/${randomUUID()}/timeseries`).query({ metric: 'requests' }).set(service()).expect(404);
      expect(unknown.body.code).toBe('AB_TEST_NOT_FOUND');
    });
  });

  describe('sample ratio mismatch across a ramp', () => {
    it('counts each assignment against the split in force when it was made', async () => {
      const testId = await startTest({ traffic_split: { a: 0.1, b: 0.9 } });
      await t.http().patch(`/api/v1/ab-tests/${testId}/traffic-split`).set(admin()).send({ a: 0.5, b: 0.5 }).expect(200);
      const [version1, version2] = RAMP_SRM_CASE.splitVersions;
      await insertAssignments(testId, 'a', version1!.a, 1);
      await insertAssignments(testId, 'b', version1!.b, 1);
      await insertAssignments(testId, 'a', version2!.a, 2);
      await insertAssignments(testId, 'b', version2!.b, 2);

      const res = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      const srm = res.body.sample_ratio;
      expect(srm.observed).toEqual({ a: version1!.a + version2!.a, b: version1!.b + version2!.b });
      expectScipy(srm.expected.a, RAMP_SRM_CASE.expected.expected_share, 'expected share');
      expectScipy(srm.chi_square, RAMP_SRM_CASE.expected.chi_square, 'chi_square');
      expectScipy(srm.p_value, RAMP_SRM_CASE.expected.p_value, 'p_value');
      expect(srm.mismatch).toBe(true);
      // Against today's 50/50 alone the same counts would look very different.
      const n = srm.observed.a + srm.observed.b;
      const pooledChiSquare = (srm.observed.a - n / 2) ** 2 / (n / 2) + (srm.observed.b - n / 2) ** 2 / (n / 2);
      expect(Math.abs(pooledChiSquare - srm.chi_square)).toBeGreaterThan(1000);
      expect(res.body.recommendation).toMatchObject({ decision: 'keep_running' });
      expect(res.body.recommendation.reasons.join(' ')).toMatch(/sample ratio/i);
    });

    it('a ramp with assignments matching each split version is no mismatch', async () => {
      const testId = await startTest({ traffic_split: { a: 0.1, b: 0.9 } });
      await t.http().patch(`/api/v1/ab-tests/${testId}/traffic-split`).set(admin()).send({ a: 0.5, b: 0.5 }).expect(200);
      await insertAssignments(testId, 'a', 100, 1);
      await insertAssignments(testId, 'b', 900, 1);
      await insertAssignments(testId, 'a', 500, 2);
      await insertAssignments(testId, 'b', 500, 2);
      const res = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      const srm = res.body.sample_ratio;
      expect(srm).toMatchObject({ observed: { a: 600, b: 1400 }, mismatch: false });
      expect([srm.expected.a, srm.expected.b, srm.chi_square, srm.p_value].map((x: number) => Number(x.toFixed(12)))).toEqual([0.3, 0.7, 0, 1]);
    });
  });

  describe('guardrails (auto_pause)', () => {
    const guardrail = () => t.app.get(GuardrailService);
    const eventsOf = async (testId: string) => (await t.http().get(`/api/v1/ab-tests/${testId}/events`).set(admin()).expect(200)).body.items;
    const outcomes = (variant: Variant, n: number, errors: number, latencyMs?: number): MetricEvent[] =>
      Array.from({ length: n }, (_, i) => ({ variant, error: i < errors, ...(latencyMs === undefined ? {} : { latency_ms: latencyMs }) }));

    it('pauses a test whose b errors at 20% against max_error_rate 0.01: audited with the numbers, everyone gets a', async () => {
      const modelType = await newModelType();
      const testId = await startAbTest(t, { model_type: modelType, auto_pause: true, criteria: { max_error_rate: 0.01 } });
      await post(testId, { events: [...outcomes('a', 300, 0), ...outcomes('b', GUARDRAIL_CASE.n, GUARDRAIL_CASE.events)] }).expect(200);
      await guardrail().idle();

      const test = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(test.body.status).toBe('paused');
      const paused = (await eventsOf(testId)).at(-1);
      expect(paused).toMatchObject({ action: 'paused', actor: 'guardrail', before: { status: 'active' } });
      expect(paused.after).toMatchObject({
        status: 'paused',
        reason: 'guardrail',
        breaches: [{ criterion: 'max_error_rate', threshold: 0.01, observed: 0.2, n: GUARDRAIL_CASE.n }],
      });
      expectScipy(paused.after.breaches[0].lower_bound, GUARDRAIL_CASE.expected.lower_bound, 'lower_bound');
      expect(paused.after.breaches[0].reason).toMatch(/max_error_rate breached by b: 60 errors in 300 requests/);

      // Everyone is served a's version now, even a user assigned b (pause goes through the lifecycle).
      const variant = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType }).set(bearer(t.tokens.user('anyone'))).expect(200);
      expect(variant.body).toMatchObject({ ab_test_id: testId, variant: 'a', model_version: 'v1.0.0' });
      const results = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      expect(results.body.recommendation.decision).toBe('stop_guardrail');
    });

    it('does not pause a healthy b, nor a breaching test without auto_pause', async () => {
      const healthy = await startTest({ auto_pause: true, criteria: { max_error_rate: 0.01, max_latency_ms: 200 } });
      const unguarded = await startTest({ criteria: { max_error_rate: 0.01 } });
      await post(healthy, { events: [...outcomes('a', 300, 0, 100), ...outcomes('b', 300, 1, 120)] }).expect(200);
      await post(unguarded, { events: [...outcomes('a', 300, 0), ...outcomes('b', 300, 60)] }).expect(200);
      await guardrail().idle();
      for (const testId of [healthy, unguarded]) {
        expect((await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200)).body.status).toBe('active');
        expect((await eventsOf(testId)).map((e: { action: string }) => e.action)).toEqual(['created', 'started']);
      }
      // The unguarded test's results still say what a guardrail would have done.
      const results = await t.http().get(`/api/v1/ab-tests/${unguarded}/results`).set(admin()).expect(200);
      expect(results.body.recommendation.decision).toBe('stop_guardrail');
    });

    it('pauses on max_latency_ms after an in-process flush', async () => {
      const testId = await startTest({ auto_pause: true, criteria: { max_latency_ms: 200 } });
      const metrics = t.app.get(MetricsService);
      for (let i = 0; i < 300; i++) {
        metrics.recordRequest(testId, 'a', { latencyMs: 100 });
        metrics.recordRequest(testId, 'b', { latencyMs: i < 200 ? 450 : 90 });
      }
      await metrics.flushNow();
      await guardrail().idle();
      const paused = (await eventsOf(testId)).at(-1);
      expect(paused).toMatchObject({ action: 'paused', actor: 'guardrail', after: { breaches: [{ criterion: 'max_latency_ms', threshold: 200, n: 300 }] } });
      expectWithinSketchError(paused.after.breaches[0].observed, 450);
      expect(paused.after.breaches[0].lower_bound).toBeGreaterThan(0.05);
    });

    it('checks at most once a second per test however often it is written, and never twice at once (controlled clock)', async () => {
      const testId = await startTest({ auto_pause: true, criteria: { max_error_rate: 0.5 } });
      // The real query service, watched: when each check of this test starts (on the controlled
      // clock), and a gate that holds a check open to write during it.
      const query = t.app.get(MetricsQueryService);
      const original = query.snapshotWithExceedances.bind(query);
      const startedAt: number[] = [];
      let finished = 0;
      let running = 0;
      let maxRunning = 0;
      let gate: Promise<void> = Promise.resolve();
      let openGate: () => void = () => undefined;
      const spy = vi.spyOn(query, 'snapshotWithExceedances').mockImplementation(async (...args: Parameters<typeof original>) => {
        if (args[0] !== testId) return original(...args);
        startedAt.push(Date.now());
        maxRunning = Math.max(maxRunning, ++running);
        try {
          await gate;
          return await original(...args);
        } finally {
          running--;
          finished++;
        }
      });
      /* Real I/O (HTTP, PostgreSQL) goes on under the frozen clock: wait for it on real time. */
      const until = async (condition: () => boolean, what: string) => {
        const deadline = performance.now() + 10_000;
        while (!condition()) {
          if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const write = () => post(testId, { events: outcomes('b', 10, 0) }).expect(200);

      // Only the guardrail's timers and clock are controlled; the app's sockets and PostgreSQL run on their own.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      try {
        const t0 = Date.now();
        await write(); // the first write is checked at once
        await vi.advanceTimersByTimeAsync(0);
        await until(() => finished === 1, 'the first check');

        await vi.advanceTimersByTimeAsync(100);
        await write(); // t0 + 100: due at t0 + 1000
        await vi.advanceTimersByTimeAsync(400);
        await write(); // t0 + 500: already due, nothing more
        await vi.advanceTimersByTimeAsync(499);
        expect(startedAt).toHaveLength(1); // t0 + 999

        gate = new Promise((resolve) => (openGate = resolve));
        await vi.advanceTimersByTimeAsync(1);
        await until(() => startedAt.length === 2, 'the second check'); // t0 + 1000
        await write(); // during the check
        await vi.advanceTimersByTimeAsync(3000);
        expect(startedAt).toHaveLength(2); // t0 + 4000: the write waits for the running check
        openGate();
        await until(() => finished === 2, 'the second check to end');
        await vi.advanceTimersByTimeAsync(0);
        await until(() => finished === 3, 'the check of the write made during the second');

        await vi.advanceTimersByTimeAsync(5000);
        expect(startedAt.map((at) => at - t0)).toEqual([0, 1000, 4000]);
        expect(maxRunning).toBe(1);
      } finally {
        openGate();
        vi.useRealTimers();
        spy.mockRestore();
      }
      await guardrail().idle();
      expect((await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200)).body.status).toBe('active');
    });
  });

  describe('completing freezes the results', () => {
    it('the /results document, the seed summary, winner and notes are frozen; later events are refused or dropped', async () => {
      const testId = await startTest({ metrics: [{ name: 'accuracy', higher_is_better: true }], criteria: { min_requests: 100 } });
      await insertAssignments(testId, 'a', 120);
      await insertAssignments(testId, 'b', 118);
      await post(testId, {
        events: [...Array.from({ length: 150 }, (_, i) => ({ variant: 'a' as const, latency_ms: 100 + i, error: i < 3 })), ...Array.from({ length: 150 }, (_, i) => ({ variant: 'b' as const, latency_ms: 90 + i }))],
      }).expect(200);
      // Buffered in-process and not flushed yet: completing flushes it first, so it is in the frozen numbers.
      const metrics = t.app.get(MetricsService);
      for (let i = 0; i < 50; i++) metrics.recordRequest(testId, 'b', { latencyMs: 95, error: i === 0 });

      const completed = await t.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: 'b', notes: 'b is faster' }).expect(200);
      expect(completed.body).toMatchObject({ status: 'completed', winner: 'b', notes: 'b is faster' });

      const [row] = (await t.dataSource.query('SELECT metrics FROM ab_tests WHERE id = $1', [testId])) as Array<{ metrics: Record<string, unknown> }>;
      const frozen = row!.metrics as { frozen_at: string; winner: string; notes: string; variant_a: object; variant_b: { requests: number; errors: number }; results: { status: string; computed_at: string } };
      expect(frozen).toMatchObject({ winner: 'b', notes: 'b is faster', variant_a: { requests: 150, errors: 3 }, variant_b: { requests: 200, errors: 1 } });
      expect(frozen.results).toMatchObject({ test_id: testId, status: 'completed', sample_ratio: { observed: { a: 120, b: 118 } } });
      expect(frozen.frozen_at).toBe(frozen.results.computed_at);

      const results = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      expect(results.body).toEqual(frozen.results);

      // Later: an HTTP batch is refused, an in-process recording is dropped at flush; nothing moves.
      await post(testId, { events: [{ variant: 'a', error: true }] }).expect(409);
      metrics.recordRequest(testId, 'a', { latencyMs: 1, error: true });
      await metrics.flushNow();
      await insertAssignments(testId, 'a', 5, 1);
      expect(await requestsStored(testId)).toBe(350);
      const later = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
      expect(later.body).toEqual(frozen.results);
      const detail = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(detail.body.metrics).toEqual({ variant_a: frozen.variant_a, variant_b: frozen.variant_b });
      expect(detail.body.metrics.variant_b).toMatchObject({ requests: 200, errors: 1, error_rate: 0.005 });
    });

    it('a test completed from paused freezes too, and an unknown test is 404 for /results', async () => {
      const testId = await startTest();
      await post(testId, { events: [{ variant: 'a', latency_ms: 10 }, { variant: 'b', latency_ms: 12 }] }).expect(200);
      await t.http().post(`/api/v1/ab-tests/${testId}/pause`).set(admin()).expect(200);
      await t.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: null }).expect(200);
      const results = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(service()).expect(200);
      expect(results.body).toMatchObject({ status: 'completed', metrics: [{ name: 'error_rate', a: { n: 1 }, b: { n: 1 } }, { name: 'latency_ms' }] });
      const [row] = (await t.dataSource.query('SELECT metrics FROM ab_tests WHERE id = $1', [testId])) as Array<{ metrics: { winner: null; results: unknown } }>;
      expect(row!.metrics).toMatchObject({ winner: null, notes: null });
      expect(results.body).toEqual(row!.metrics.results);
      const unknown = await t.http().get(`/api/v1/ab-tests/${randomUUID()}/results`).set(service()).expect(404);
      expect(unknown.body.code).toBe('AB_TEST_NOT_FOUND');
      await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(bearer(t.tokens.user('u'))).expect(403);
    });
  });

  it('GET /metrics (Prometheus) exposes the counters of a test’s ingested batches', async () => {
    const testId = await startTest();
    await post(testId, { events: [{ variant: 'a', latency_ms: 3 }, { variant: 'a', latency_ms: 700, error: true }, { variant: 'b', metric: 'accuracy', value: 1 }] }).expect(200);
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toContain(`model_ab_requests_total{ab_test_id="${testId}",variant="a"} 2`);
    expect(res.text).toContain(`model_ab_errors_total{ab_test_id="${testId}",variant="a"} 1`);
    expect(res.text).toContain(`model_ab_request_latency_ms_count{ab_test_id="${testId}",variant="a"} 2`);
    expect(res.text).toContain(`model_ab_custom_metric_total{ab_test_id="${testId}",variant="b",metric="custom:accuracy"} 1`);
  });

  it('the OpenAPI document describes the routes, with MetricBatchDto as the ingestion body', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const paths = res.body.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }>>;
    expect(paths['/api/v1/ab-tests/{test_id}/metrics']!.post!.requestBody!.content['application/json']!.schema.$ref).toBe('#/components/schemas/MetricBatchDto');
    expect(Object.keys(paths['/api/v1/ab-tests/{test_id}/results']!)).toEqual(['get']);
    expect(Object.keys(paths['/api/v1/ab-tests/{test_id}/timeseries']!)).toEqual(['get']);
    expect(res.body.components.schemas.AbTestResultsResponse).toBeDefined();
  });
});

describe('guardrails across instances', () => {
  it("a pause by one instance's guardrail reaches the other instance's assignments (NOTIFY)", async () => {
    const first = await createTestApp({ METRICS_FLUSH_MS: '3600000' });
    const second = await createTestApp({ METRICS_FLUSH_MS: '3600000' }, { database: { url: first.databaseUrl } });
    try {
      const modelType = await registerModelType(first, [
        { version: 'v1.0.0', stage: 'production' },
        { version: 'v2.0.0', stage: 'staging' },
      ]);
      const testId = await startAbTest(first, { model_type: modelType, auto_pause: true, criteria: { max_error_rate: 0.01 }, traffic_split: { a: 0, b: 1 } });
      const ask = (app: TestApp) => app.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType }).set(bearer(app.tokens.user('shared-user')));
      expect((await ask(second).expect(200)).body.variant).toBe('b');

      const metrics = second.app.get(MetricsService);
      for (let i = 0; i < 200; i++) metrics.recordRequest(testId, 'b', { error: i % 5 === 0 });
      await metrics.flushNow();
      await second.app.get(GuardrailService).idle();

      await waitFor(async () => (await ask(first).expect(200)).body.variant === 'a');
      expect((await ask(second).expect(200)).body.variant).toBe('a');
    } finally {
      await second.app.close();
      await first.close();
    }
  });
});
