import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutScheduler } from '../../src/modules/ab-tests/rollout/rollout-scheduler.js';
import { mulberry32 } from '../../src/modules/metrics/stats/mulberry32.js';
import { bearer, registerModelType } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface AuditEvent {
  id: number;
  action: string;
  actor: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> & { reason?: string; rollout?: Record<string, unknown>; breaches?: Array<Record<string, unknown>> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Guarded progressive rollouts in process: the scheduler (ROLLOUT_CHECK_MS=100) ramps b through
 * its steps on live traffic, rolls back on a guardrail breach, and two instances on one database
 * act once per step.
 */
describe('progressive rollouts', () => {
  let t: TestApp;
  const admin = () => bearer(t.tokens.admin);
  const service = () => bearer(t.tokens.service);

  beforeAll(async () => {
    t = await createTestApp({ ROLLOUT_CHECK_MS: '100', METRICS_FLUSH_MS: '50', RATE_LIMIT_WRITES_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async (modelType: string, body: Record<string, unknown>) => {
    const res = await t.http().post('/api/v1/ab-tests').set(admin()).send({ name: 'Rollout of v2', model_type: modelType, variant_a: 'v1.0.0', variant_b: 'v2.0.0', ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { test_id: string; traffic_split: { a: number; b: number } };
  };
  const detail = async (app: TestApp, id: string) => (await app.http().get(`/api/v1/ab-tests/${id}`).set(admin()).expect(200)).body;
  const events = async (id: string) => ((await t.http().get(`/api/v1/ab-tests/${id}/events`).query({ limit: 200 }).set(admin()).expect(200)).body as { items: AuditEvent[] }).items;
  const variantOf = async (modelType: string, user: string) =>
    (await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: user }).set(service()).expect(200)).body as { variant: 'a' | 'b' | null; model_version: string; ab_test_id: string | null };

  it('healthy traffic advances through every step and auto-completes with b promoted; the event trail explains each change', async () => {
    const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'roll');
    const created = await create(modelType, {
      rollout: { steps: [0.2, 0.5, 0.8], step_min_seconds: 1, step_min_requests: 20, auto_complete: true },
      metrics: [{ name: 'accuracy', higher_is_better: true }],
      criteria: { min_requests: 60, max_error_rate: 0.2 },
    });
    expect(created.traffic_split).toEqual({ a: 0.8, b: 0.2 });
    const id = created.test_id;
    const before = await detail(t, id);
    expect(before.rollout).toEqual({
      steps: [0.2, 0.5, 0.8],
      step_min_seconds: 1,
      step_min_requests: 20,
      auto_complete: true,
      current_step: 0,
      step_started_at: null,
      next_check_at: null,
      state: 'ramping',
    });
    await t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin()).expect(200);

    // Traffic: 20 new users a round through the variant route, each reporting a request and whether
    // its answer was right (a right half the time, b 95%), until the rollout completes the test.
    const random = mulberry32(14);
    const seenSteps = new Set<number>();
    let user = 0;
    const deadline = Date.now() + 40_000;
    for (;;) {
      const state = await detail(t, id);
      if (state.status === 'completed') break;
      if (state.rollout.step_started_at !== null) seenSteps.add(state.rollout.current_step);
      if (Date.now() > deadline) throw new Error(`the rollout did not complete: ${JSON.stringify(state.rollout)} ${JSON.stringify((await t.http().get(`/api/v1/ab-tests/${id}/results`).set(admin())).body.recommendation)}`);
      const batch: Array<Record<string, unknown>> = [];
      const answers = await Promise.all(Array.from({ length: 20 }, () => variantOf(modelType, `u-${user++}`)));
      for (const answer of answers) {
        if (answer.ab_test_id !== id || answer.variant === null) continue;
        batch.push({ variant: answer.variant, latency_ms: 5 + 5 * random(), error: false });
        batch.push({ variant: answer.variant, metric: 'accuracy', value: random() < (answer.variant === 'b' ? 0.95 : 0.5) ? 1 : 0 });
      }
      if (batch.length > 0) {
        const posted = await t.http().post(`/api/v1/ab-tests/${id}/metrics`).set(service()).send({ events: batch });
        // The rollout may complete the test between the status read above and this batch.
        if (posted.status !== 200) expect(posted.body).toMatchObject({ code: 'AB_TEST_NOT_RECORDING', details: { current_status: 'completed' } });
      }
      await sleep(50);
    }

    const done = await detail(t, id);
    expect(done).toMatchObject({ status: 'completed', winner: 'b', traffic_split: { a: 0.2, b: 0.8 }, split_version: 3 });
    expect(done.rollout).toMatchObject({ current_step: 2, state: 'done', next_check_at: null });
    expect([...seenSteps]).toEqual([0, 1, 2]);
    expect(await variantOf(modelType, 'after')).toMatchObject({ ab_test_id: null, model_version: 'v2.0.0' });

    const trail = (await events(id)).filter((e) => e.actor === 'rollout');
    expect(trail.map((e) => e.action)).toEqual(['traffic_split_changed', 'traffic_split_changed', 'completed']);
    expect(trail.map((e) => e.after.traffic_split ?? null)).toEqual([{ a: 0.5, b: 0.5 }, { a: 0.2, b: 0.8 }, null]);
    for (const [i, event] of trail.slice(0, 2).entries()) {
      expect(event.after).toMatchObject({ reason: 'rollout_step', rollout: { step: i, to_step: i + 1, step_min_seconds: 1, step_min_requests: 20, guardrails_breached: 0 } });
      const figures = event.after.rollout as { step_seconds: number; requests_in_step: { a: number; b: number } };
      expect(figures.step_seconds).toBeGreaterThanOrEqual(1);
      expect(figures.requests_in_step.a).toBeGreaterThanOrEqual(20);
      expect(figures.requests_in_step.b).toBeGreaterThanOrEqual(20);
    }
    expect(trail[2]!.after).toMatchObject({ reason: 'rollout_auto_complete', recommendation: 'ship_b', winner: 'b', promoted_version: 'v2.0.0' });
    // Nothing else changed the test automatically.
    expect((await events(id)).filter((e) => e.actor !== 'rollout').map((e) => e.action)).toEqual(['created', 'started']);
  });

  it('a b failing 30% of requests is rolled back at the first step: b to 0, paused, with the numbers', async () => {
    const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'roll');
    const { test_id: id } = await create(modelType, {
      rollout: { steps: [0.1, 0.5], step_min_seconds: 600, step_min_requests: 10 },
      criteria: { max_error_rate: 0.05 },
    });
    await t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin()).expect(200);
    let bUser = '';
    for (let i = 0; bUser === '' && i < 200; i++) if ((await variantOf(modelType, `r-${i}`)).variant === 'b') bUser = `r-${i}`;
    expect(bUser).not.toBe('');

    const batch = [
      ...Array.from({ length: 300 }, () => ({ variant: 'a', latency_ms: 5, error: false })),
      ...Array.from({ length: 300 }, (_, i) => ({ variant: 'b', latency_ms: 5, error: i % 10 < 3 })),
    ];
    await t.http().post(`/api/v1/ab-tests/${id}/metrics`).set(service()).send({ events: batch }).expect(200);
    const deadline = Date.now() + 10_000;
    while ((await detail(t, id)).rollout.state !== 'rolled_back') {
      if (Date.now() > deadline) throw new Error('no rollback within 10 s');
      await sleep(50);
    }
    const after = await detail(t, id);
    expect(after).toMatchObject({ status: 'paused', traffic_split: { a: 1, b: 0 } });
    expect(after.rollout).toMatchObject({ current_step: 0, state: 'rolled_back', next_check_at: null });
    expect(await variantOf(modelType, bUser)).toMatchObject({ variant: 'a', model_version: 'v1.0.0' });

    const trail = (await events(id)).filter((e) => e.actor === 'rollout');
    expect(trail.map((e) => e.action)).toEqual(['traffic_split_changed', 'paused']);
    for (const event of trail) {
      expect(event.after).toMatchObject({ reason: 'rollout_rollback', rollout: { step: 0, share: 0.1 } });
      expect(event.after.breaches).toHaveLength(1);
      const [breach] = event.after.breaches!;
      expect(breach).toMatchObject({ criterion: 'max_error_rate', threshold: 0.05, observed: 0.3, n: 300 });
      expect(breach!.lower_bound).toBeGreaterThan(0.05);
      expect(breach!.lower_bound).toBeLessThan(0.3);
    }
    await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: 'a' }).expect(200);
  });

  it('two instances ticking at the same moments act once per step', async () => {
    const second = await createTestApp({ ROLLOUT_CHECK_MS: '3600000', METRICS_FLUSH_MS: '50', RATE_LIMIT_WRITES_PER_MINUTE: '0' }, { database: { url: t.databaseUrl }, jwtSecret: t.tokens.secret });
    const third = await createTestApp({ ROLLOUT_CHECK_MS: '3600000', METRICS_FLUSH_MS: '50', RATE_LIMIT_WRITES_PER_MINUTE: '0' }, { database: { url: t.databaseUrl }, jwtSecret: t.tokens.secret });
    try {
      const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'roll');
      // Every step is done as soon as it starts; after each round the next check is made due at once, and
      // each round four ticks (two per extra instance) race with the first instance's own timer.
      const { test_id: id } = await create(modelType, { rollout: { steps: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], step_min_seconds: 0, step_min_requests: 0 } });
      await t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin()).expect(200);
      const schedulers = [second, third].map((app) => app.app.get(RolloutScheduler));
      let acted = 0;
      for (let round = 0; round < 12 && (await detail(t, id)).rollout.state !== 'holding'; round++) {
        // tick() while a tick runs returns the running one: count each distinct tick once.
        const results = await Promise.all(new Set(schedulers.flatMap((s) => [s.tick(), s.tick()])));
        acted += results.reduce((a, b) => a + b, 0);
        await t.dataSource.query(`UPDATE ab_test_rollouts SET next_check_at = NULL WHERE ab_test_id = $1 AND state IN ('ramping', 'holding')`, [id]);
      }
      const state = await detail(t, id);
      expect(state.rollout).toMatchObject({ current_step: 5, state: 'holding' });
      expect(state.split_version).toBe(6);
      expect(acted).toBeLessThanOrEqual(5);
      const history = (await t.dataSource.query('SELECT split_history FROM ab_tests WHERE id = $1', [id]))[0].split_history as Array<{ version: number; b: number }>;
      expect(history.map((phase) => [phase.version, phase.b])).toEqual([
        [1, 0.1],
        [2, 0.2],
        [3, 0.3],
        [4, 0.4],
        [5, 0.5],
        [6, 0.6],
      ]);
      const trail = (await events(id)).filter((e) => e.actor === 'rollout');
      expect(trail.map((e) => (e.after.rollout as { to_step: number }).to_step)).toEqual([1, 2, 3, 4, 5]);
      await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: null }).expect(200);
    } finally {
      await third.close();
      await second.close();
    }
  });
});
