import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStagesService } from '../../src/modules/model-registry/model-stages.service.js';
import { ModelVersionsService } from '../../src/modules/model-registry/model-versions.service.js';
import { bearer, buildAbTestBody, createAbTest, registerModelType, startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Before the first request: counts are 0, latencies null (0 ms would be a real latency).
const ZERO_METRICS = { requests: 0, errors: 0, error_rate: 0, avg_latency: null, p50_latency: null, p95_latency: null, p99_latency: null, custom: {} };

function expectError(body: unknown, status: number, code: string, message?: RegExp): void {
  expect(body).toMatchObject({ status_code: status, code });
  if (message) expect((body as { message: string }).message).toMatch(message);
}

describe('A/B tests', () => {
  let t: TestApp;
  const admin = () => bearer(t.tokens.admin);
  const variantOf = (user: string, modelType: string) =>
    t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType }).set(bearer(t.tokens.user(user)));

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("the seed doc's quick start, end to end", () => {
    const users = Array.from({ length: 40 }, (_, i) => `quick-user-${i}`);
    let testId: string;
    const seen = new Map<string, 'a' | 'b'>();

    it('1. creates a test with the seed body: 201, draft', async () => {
      const body = {
        name: 'Safety Classifier v2 Test',
        model_type: 'safety_classifier',
        variant_a: 'v1.0.0',
        variant_b: 'v2.0.0',
        traffic_split: { a: 0.5, b: 0.5 },
      };
      const res = await t.http().post('/api/v1/ab-tests').set(admin()).send(body).expect(201);
      testId = res.body.test_id;
      expect(testId).toMatch(UUID);
      expect(res.body).toEqual({
        test_id: testId,
        name: 'Safety Classifier v2 Test',
        description: null,
        model_type: 'safety_classifier',
        variant_a: 'v1.0.0',
        variant_b: 'v2.0.0',
        traffic_split: { a: 0.5, b: 0.5 },
        split_version: 1,
        status: 'draft',
        criteria: {},
        hash_seed: testId,
        metric_definitions: [],
        auto_pause: false,
        mode: 'ab',
        shadow_sample_rate: null,
        source_test_id: null,
        winner: null,
        notes: null,
        start_date: null,
        end_date: null,
        created_by: 'admin-1',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const [row] = await t.dataSource.query('SELECT status, model_type, traffic_split FROM ab_tests WHERE id = $1', [testId]);
      expect(row).toEqual({ status: 'draft', model_type: 'safety_classifier', traffic_split: { a: 0.5, b: 0.5 } });
    });

    it('a draft routes nothing: users get the production version', async () => {
      const res = await variantOf('quick-user-0', 'safety_classifier').expect(200);
      expect(res.body).toEqual({ ab_test_id: null, model_type: 'safety_classifier', variant: null, model_version: 'v1.0.0' });
    });

    it('2. starts it: 200, active, start_date set', async () => {
      const res = await t.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
      expect(res.body).toMatchObject({ test_id: testId, status: 'active' });
      expect(Date.parse(res.body.start_date)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('users get a sticky variant and its model version', async () => {
      for (const user of users) {
        const res = await variantOf(user, 'safety_classifier').expect(200);
        expect(res.body.ab_test_id).toBe(testId);
        expect(res.body.model_type).toBe('safety_classifier');
        expect(['a', 'b']).toContain(res.body.variant);
        expect(res.body.model_version).toBe(res.body.variant === 'a' ? 'v1.0.0' : 'v2.0.0');
        seen.set(user, res.body.variant);
      }
      expect(new Set(seen.values())).toEqual(new Set(['a', 'b']));
      for (const user of users.slice(0, 10)) {
        const again = await variantOf(user, 'safety_classifier').expect(200);
        expect(again.body.variant).toBe(seen.get(user));
      }
      const rows = (await t.dataSource.query('SELECT user_id, variant, split_version FROM ab_test_assignments WHERE ab_test_id = $1', [testId])) as Array<{
        user_id: string;
        variant: string;
        split_version: number;
      }>;
      expect(rows).toHaveLength(users.length);
      for (const row of rows) {
        expect(row.variant).toBe(seen.get(row.user_id));
        expect(row.split_version).toBe(1);
      }
    });

    it('3. GET /ab-tests/{id} has the seed shape: metrics per variant and assignment counts', async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      const a = [...seen.values()].filter((v) => v === 'a').length;
      expect(res.body).toMatchObject({
        test_id: testId,
        name: 'Safety Classifier v2 Test',
        status: 'active',
        metrics: { variant_a: ZERO_METRICS, variant_b: ZERO_METRICS },
        assignments: { variant_a: a, variant_b: users.length - a, total: users.length },
      });
      // A service token reads too.
      await t.http().get(`/api/v1/ab-tests/${testId}`).set(bearer(t.tokens.service)).expect(200);
    });

    it('lists with the seed query, paginated', async () => {
      const res = await t.http().get('/api/v1/ab-tests').query({ model_type: 'safety_classifier', status: 'active' }).set(admin()).expect(200);
      expect(res.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
      expect(res.body.items.map((item: { test_id: string }) => item.test_id)).toEqual([testId]);
    });

    it('ramps the split: assigned users keep their variant, new ones record split_version 2', async () => {
      const res = await t.http().patch(`/api/v1/ab-tests/${testId}/traffic-split`).set(admin()).send({ a: 0.1, b: 0.9 }).expect(200);
      expect(res.body).toMatchObject({ traffic_split: { a: 0.1, b: 0.9 }, split_version: 2, status: 'active' });
      for (const user of users) expect((await variantOf(user, 'safety_classifier').expect(200)).body.variant).toBe(seen.get(user));
      await variantOf('quick-new-after-ramp', 'safety_classifier').expect(200);
      const [row] = await t.dataSource.query('SELECT split_version FROM ab_test_assignments WHERE ab_test_id = $1 AND user_id = $2', [testId, 'quick-new-after-ramp']);
      expect(row.split_version).toBe(2);
    });

    it('pauses: everyone gets variant a, new users are not stored', async () => {
      await t.http().post(`/api/v1/ab-tests/${testId}/pause`).set(admin()).expect(200);
      const assignedB = users.find((user) => seen.get(user) === 'b')!;
      const res = await variantOf(assignedB, 'safety_classifier').expect(200);
      expect(res.body).toEqual({ ab_test_id: testId, model_type: 'safety_classifier', variant: 'a', model_version: 'v1.0.0' });
      const fresh = await variantOf('quick-new-while-paused', 'safety_classifier').expect(200);
      expect(fresh.body.variant).toBe('a');
      const rows = await t.dataSource.query('SELECT 1 FROM ab_test_assignments WHERE ab_test_id = $1 AND user_id = $2', [testId, 'quick-new-while-paused']);
      expect(rows).toHaveLength(0);
    });

    it('resumes (start from paused): users get their stored variants again', async () => {
      const res = await t.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
      expect(res.body.status).toBe('active');
      for (const user of users.slice(0, 10)) expect((await variantOf(user, 'safety_classifier').expect(200)).body.variant).toBe(seen.get(user));
    });

    it('4. completes with a winner and promote: the winner becomes production', async () => {
      const res = await t.http()
        .post(`/api/v1/ab-tests/${testId}/complete`)
        .set(admin())
        .send({ winner: 'b', promote: true, notes: 'b cut false positives at equal latency' })
        .expect(200);
      expect(res.body).toMatchObject({ status: 'completed', winner: 'b', notes: 'b cut false positives at equal latency' });
      expect(Date.parse(res.body.end_date)).toBeGreaterThan(Date.now() - 60_000);
      const production = await t.app.get(ModelVersionsService).getProductionVersion('safety_classifier');
      expect(production?.version).toBe('v2.0.0');
      const variant = await variantOf(users[0]!, 'safety_classifier').expect(200);
      expect(variant.body).toEqual({ ab_test_id: null, model_type: 'safety_classifier', variant: null, model_version: 'v2.0.0' });
      const detail = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(detail.body).toMatchObject({ status: 'completed', winner: 'b', notes: 'b cut false positives at equal latency' });
    });

    it('the audit log lists every change with its actor', async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${testId}/events`).set(admin()).expect(200);
      expect(res.body.total).toBe(6);
      expect(res.body.items.map((e: { action: string }) => e.action)).toEqual(['created', 'started', 'traffic_split_changed', 'paused', 'resumed', 'completed']);
      for (const event of res.body.items) {
        expect(event).toMatchObject({ test_id: testId, actor: 'admin-1' });
        expect(Date.parse(event.created_at)).not.toBeNaN();
      }
      expect(res.body.items[2]).toMatchObject({
        before: { traffic_split: { a: 0.5, b: 0.5 }, split_version: 1 },
        after: { traffic_split: { a: 0.1, b: 0.9 }, split_version: 2 },
      });
      expect(res.body.items[5]).toMatchObject({ before: { status: 'active' }, after: { status: 'completed', winner: 'b', promoted_version: 'v2.0.0' } });
      const page = await t.http().get(`/api/v1/ab-tests/${testId}/events`).query({ limit: 2, offset: 4 }).set(admin()).expect(200);
      expect(page.body).toMatchObject({ total: 6, limit: 2, offset: 4 });
      expect(page.body.items.map((e: { action: string }) => e.action)).toEqual(['resumed', 'completed']);
    });
  });

  describe('create validation', () => {
    let modelType: string;
    beforeAll(async () => {
      modelType = await registerModelType(t, [
        { version: 'v1.0.0', stage: 'production' },
        { version: 'v2.0.0' },
        { version: 'v3.0.0', stage: 'archived' },
      ]);
    });

    it('stores the optional fields', async () => {
      const res = await t.http()
        .post('/api/v1/ab-tests')
        .set(admin())
        .send(
          buildAbTestBody({
            model_type: modelType,
            description: 'bigger featurizer',
            criteria: { min_requests: 10000, max_error_rate: 0.01, max_latency_ms: 200, min_improvement: 0.05 },
            hash_seed: 'my-seed',
            metrics: [{ name: 'accuracy', higher_is_better: true }, { name: 'handle_time' , higher_is_better: false }, { name: 'csat' }],
            auto_pause: true,
            traffic_split: { a: 0.9, b: 0.1 },
          }),
        )
        .expect(201);
      expect(res.body).toMatchObject({
        description: 'bigger featurizer',
        criteria: { min_requests: 10000, max_error_rate: 0.01, max_latency_ms: 200, min_improvement: 0.05 },
        hash_seed: 'my-seed',
        metric_definitions: [
          { name: 'accuracy', higher_is_better: true },
          { name: 'handle_time', higher_is_better: false },
          { name: 'csat', higher_is_better: true },
        ],
        auto_pause: true,
        traffic_split: { a: 0.9, b: 0.1 },
      });
    });

    it('stores the registry spelling of a version (2.0.0 → v2.0.0)', async () => {
      const res = await t.http().post('/api/v1/ab-tests').set(admin()).send(buildAbTestBody({ model_type: modelType, variant_b: '2.0.0' })).expect(201);
      expect(res.body.variant_b).toBe('v2.0.0');
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['an unknown field', { colour: 'red' }, 'VALIDATION_FAILED'],
      ['a missing traffic_split', { traffic_split: undefined }, 'INVALID_TRAFFIC_SPLIT'],
      ['a traffic_split that is not an object', { traffic_split: 'half' }, 'VALIDATION_FAILED'],
      ['an unknown field in traffic_split', { traffic_split: { a: 0.5, b: 0.5, c: 0 } }, 'VALIDATION_FAILED'],
      ['a share above 1', { traffic_split: { a: 1.5, b: -0.5 } }, 'VALIDATION_FAILED'],
      ['shares not summing to 1', { traffic_split: { a: 0.5, b: 0.6 } }, 'INVALID_TRAFFIC_SPLIT'],
      ['shares 1e-8 off', { traffic_split: { a: 0.5, b: 0.50000001 } }, 'INVALID_TRAFFIC_SPLIT'],
      ['an empty name', { name: '' }, 'VALIDATION_FAILED'],
      ['a blank name', { name: '   ' }, 'VALIDATION_FAILED'],
      ['a 201-character name', { name: 'x'.repeat(201) }, 'VALIDATION_FAILED'],
      ['identical variants', { variant_b: 'v1.0.0' }, 'IDENTICAL_VARIANTS'],
      ['identical variants in another spelling', { variant_b: '1.0.0' }, 'IDENTICAL_VARIANTS'],
      ['min_requests 0', { criteria: { min_requests: 0 } }, 'VALIDATION_FAILED'],
      ['min_requests 1.5', { criteria: { min_requests: 1.5 } }, 'VALIDATION_FAILED'],
      ['max_error_rate above 1', { criteria: { max_error_rate: 1.5 } }, 'VALIDATION_FAILED'],
      ['max_latency_ms 0', { criteria: { max_latency_ms: 0 } }, 'VALIDATION_FAILED'],
      ['a negative min_improvement', { criteria: { min_improvement: -0.1 } }, 'VALIDATION_FAILED'],
      ['a criterion as a string', { criteria: { min_requests: '100' } }, 'VALIDATION_FAILED'],
      ['an unknown criterion', { criteria: { min_duration: 3 } }, 'VALIDATION_FAILED'],
      ['a metric name with spaces', { metrics: [{ name: 'Click Rate' }] }, 'VALIDATION_FAILED'],
      ['a metric declared twice', { metrics: [{ name: 'accuracy' }, { name: 'accuracy' }] }, 'DUPLICATE_METRIC'],
      ['auto_pause as a string', { auto_pause: 'yes' }, 'VALIDATION_FAILED'],
      ['an empty hash_seed', { hash_seed: '' }, 'VALIDATION_FAILED'],
      ['a model type that is not a slug', { model_type: 'Safety Classifier' }, 'VALIDATION_FAILED'],
    ])('400 for %s', async (_name, overrides, code) => {
      const res = await t.http().post('/api/v1/ab-tests').set(admin()).send(buildAbTestBody({ model_type: modelType, ...overrides })).expect(400);
      expectError(res.body, 400, code);
    });

    it.each<[string, Record<string, unknown>, string, RegExp]>([
      ['a missing variant_b', { variant_b: 'v9.9.9' }, 'UNKNOWN_MODEL_VERSION', /variant_b.*v9\.9\.9/],
      ['a missing variant_a', { variant_a: 'v8.0.0' }, 'UNKNOWN_MODEL_VERSION', /variant_a.*v8\.0\.0/],
      ['an archived version', { variant_b: 'v3.0.0' }, 'MODEL_VERSION_ARCHIVED', /variant_b.*v3\.0\.0.*archived/],
    ])('422 for %s, naming it', async (_name, overrides, code, message) => {
      const res = await t.http().post('/api/v1/ab-tests').set(admin()).send(buildAbTestBody({ model_type: modelType, ...overrides })).expect(422);
      expectError(res.body, 422, code, message);
    });

    it('422 for an unknown model type', async () => {
      const res = await t.http().post('/api/v1/ab-tests').set(admin()).send(buildAbTestBody({ model_type: 'no_such_model' })).expect(422);
      expectError(res.body, 422, 'UNKNOWN_MODEL_TYPE', /no_such_model/);
    });

    it('nothing invalid was stored', async () => {
      const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM ab_tests WHERE model_type = $1', [modelType]);
      expect(n).toBe(2);
    });
  });

  describe('lifecycle', () => {
    let modelType: string;
    beforeAll(async () => {
      modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
    });

    async function testIn(status: 'draft' | 'active' | 'paused' | 'completed'): Promise<string> {
      const id = await createAbTest(t, { model_type: modelType });
      if (status === 'draft') return id;
      await t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin()).expect(200);
      if (status === 'paused') await t.http().post(`/api/v1/ab-tests/${id}/pause`).set(admin()).expect(200);
      if (status === 'completed') await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: null }).expect(200);
      return id;
    }

    async function completeIfRunning(id: string): Promise<void> {
      const res = await t.http().get(`/api/v1/ab-tests/${id}`).set(admin()).expect(200);
      if (res.body.status === 'active' || res.body.status === 'paused') {
        await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: null }).expect(200);
      }
    }

    it.each<['draft' | 'active' | 'paused' | 'completed', string, string, Record<string, unknown> | undefined]>([
      ['draft', 'pause', 'post', undefined],
      ['draft', 'complete', 'post', { winner: 'a' }],
      ['active', 'start', 'post', undefined],
      ['paused', 'pause', 'post', undefined],
      ['completed', 'start', 'post', undefined],
      ['completed', 'pause', 'post', undefined],
      ['completed', 'complete', 'post', { winner: 'b' }],
      ['completed', 'traffic-split', 'patch', { a: 0.2, b: 0.8 }],
    ])('409 INVALID_TRANSITION: %s → %s', async (status, action, method, body) => {
      const id = await testIn(status);
      const request = method === 'post' ? t.http().post(`/api/v1/ab-tests/${id}/${action}`) : t.http().patch(`/api/v1/ab-tests/${id}/${action}`);
      const res = await request.set(admin()).send(body ?? {}).expect(409);
      expectError(res.body, 409, 'INVALID_TRANSITION', new RegExp(`it is ${status}`));
      expect(res.body.details).toMatchObject({ current_status: status });
      const after = await t.http().get(`/api/v1/ab-tests/${id}`).set(admin()).expect(200);
      expect(after.body.status).toBe(status);
      await completeIfRunning(id);
    });

    it('409 naming the other test when one is already active or paused for the model type', async () => {
      const running = await startAbTest(t, { model_type: modelType, name: 'Running one' });
      const second = await createAbTest(t, { model_type: modelType, name: 'Second one' });
      const res = await t.http().post(`/api/v1/ab-tests/${second}/start`).set(admin()).expect(409);
      expectError(res.body, 409, 'AB_TEST_ALREADY_RUNNING', new RegExp(`${running}.*Running one.*active`));
      await t.http().post(`/api/v1/ab-tests/${running}/pause`).set(admin()).expect(200);
      const whilePaused = await t.http().post(`/api/v1/ab-tests/${second}/start`).set(admin()).expect(409);
      expectError(whilePaused.body, 409, 'AB_TEST_ALREADY_RUNNING', /paused/);
      await t.http().post(`/api/v1/ab-tests/${running}/complete`).set(admin()).send({ winner: null }).expect(200);
      await t.http().post(`/api/v1/ab-tests/${second}/start`).set(admin()).expect(200);
      await completeIfRunning(second);
    });

    it('concurrent starts of two tests for one model type: exactly one 200', async () => {
      const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => createAbTest(t, { model_type: modelType, name: `racer ${i}` })));
      const results = await Promise.all(ids.map((id) => t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin())));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
      for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe('AB_TEST_ALREADY_RUNNING');
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ab_tests WHERE model_type = $1 AND status IN ('active', 'paused')`, [modelType]);
      expect(n).toBe(1);
      await completeIfRunning(ids[results.findIndex((r) => r.status === 200)]!);
    });

    it('start re-checks the versions: 422 naming one archived since creation', async () => {
      const stages = t.app.get(ModelStagesService);
      const id = await createAbTest(t, { model_type: modelType });
      await stages.promoteVersion({ modelType, version: 'v2.0.0', stage: 'archived', actor: 'test' });
      try {
        const res = await t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin()).expect(422);
        expectError(res.body, 422, 'MODEL_VERSION_ARCHIVED', /variant_b.*v2\.0\.0/);
        expect((await t.http().get(`/api/v1/ab-tests/${id}`).set(admin())).body.status).toBe('draft');
      } finally {
        await stages.promoteVersion({ modelType, version: 'v2.0.0', stage: 'none', actor: 'test' });
      }
      await t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin()).expect(200);
      await completeIfRunning(id);
    });

    it('complete: promote without a winner → 400, nothing changes', async () => {
      const id = await testIn('active');
      const res = await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: null, promote: true }).expect(400);
      expectError(res.body, 400, 'PROMOTE_REQUIRES_WINNER');
      const bad = await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: 'c' }).expect(400);
      expectError(bad.body, 400, 'VALIDATION_FAILED');
      const long = await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ notes: 'x'.repeat(10_001) }).expect(400);
      expectError(long.body, 400, 'VALIDATION_FAILED');
      expect((await t.http().get(`/api/v1/ab-tests/${id}`).set(admin())).body.status).toBe('active');
      await completeIfRunning(id);
    });

    it('complete from paused with winner a and no promote leaves production alone', async () => {
      const id = await testIn('paused');
      const res = await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: 'a' }).expect(200);
      expect(res.body).toMatchObject({ status: 'completed', winner: 'a' });
      expect((await t.app.get(ModelVersionsService).getProductionVersion(modelType))?.version).toBe('v1.0.0');
    });

    it('the seed complete body with winner null works', async () => {
      const id = await testIn('active');
      const res = await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: null }).expect(200);
      expect(res.body).toMatchObject({ status: 'completed', winner: null });
    });

    it('a completed test routes nothing: the production version, variant null', async () => {
      const id = await testIn('active');
      await variantOf('completed-user', modelType).expect(200);
      await t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: 'b' }).expect(200);
      const res = await variantOf('completed-user', modelType).expect(200);
      expect(res.body).toEqual({ ab_test_id: null, model_type: modelType, variant: null, model_version: 'v1.0.0' });
    });

    it('traffic split: validated, and a change in draft is recorded', async () => {
      const id = await testIn('draft');
      const bad = await t.http().patch(`/api/v1/ab-tests/${id}/traffic-split`).set(admin()).send({ a: 0.3, b: 0.3 }).expect(400);
      expectError(bad.body, 400, 'INVALID_TRAFFIC_SPLIT');
      const unknown = await t.http().patch(`/api/v1/ab-tests/${id}/traffic-split`).set(admin()).send({ a: 0.5, b: 0.5, c: 0 }).expect(400);
      expectError(unknown.body, 400, 'VALIDATION_FAILED');
      const res = await t.http().patch(`/api/v1/ab-tests/${id}/traffic-split`).set(admin()).send({ a: 0.8, b: 0.2 }).expect(200);
      expect(res.body).toMatchObject({ traffic_split: { a: 0.8, b: 0.2 }, split_version: 2, status: 'draft' });
      // The same split again changes nothing and records nothing.
      await t.http().patch(`/api/v1/ab-tests/${id}/traffic-split`).set(admin()).send({ a: 0.8, b: 0.2 }).expect(200);
      const events = await t.http().get(`/api/v1/ab-tests/${id}/events`).set(admin()).expect(200);
      expect(events.body.items.map((e: { action: string }) => e.action)).toEqual(['created', 'traffic_split_changed']);
    });
  });

  describe('ids, lists and roles', () => {
    it('400 for a test id that is not a UUID, 404 for an unknown one', async () => {
      const bad = await t.http().get('/api/v1/ab-tests/not-a-uuid').set(admin()).expect(400);
      expectError(bad.body, 400, 'VALIDATION_FAILED', /test_id/);
      await t.http().post('/api/v1/ab-tests/12345/start').set(admin()).expect(400);
      const id = '3f0c9a52-6a1e-4c8e-9d57-2b1f0e4a7c11';
      for (const request of [
        t.http().get(`/api/v1/ab-tests/${id}`),
        t.http().get(`/api/v1/ab-tests/${id}/events`),
        t.http().post(`/api/v1/ab-tests/${id}/start`),
        t.http().post(`/api/v1/ab-tests/${id}/pause`),
        t.http().post(`/api/v1/ab-tests/${id}/complete`).send({ winner: 'a' }),
        t.http().patch(`/api/v1/ab-tests/${id}/traffic-split`).send({ a: 0.5, b: 0.5 }),
      ]) {
        const res = await request.set(admin()).expect(404);
        expectError(res.body, 404, 'AB_TEST_NOT_FOUND', new RegExp(id));
      }
    });

    it('lists newest first with total, limit and offset', async () => {
      const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await createAbTest(t, { model_type: modelType, name: `list ${i}` }));
      const first = await t.http().get('/api/v1/ab-tests').query({ model_type: modelType, limit: 2 }).set(bearer(t.tokens.service)).expect(200);
      expect(first.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
      expect(first.body.items.map((i: { test_id: string }) => i.test_id)).toEqual([ids[4], ids[3]]);
      const last = await t.http().get('/api/v1/ab-tests').query({ model_type: modelType, limit: 2, offset: 4 }).set(admin()).expect(200);
      expect(last.body.items.map((i: { test_id: string }) => i.test_id)).toEqual([ids[0]]);
      const none = await t.http().get('/api/v1/ab-tests').query({ model_type: modelType, status: 'completed' }).set(admin()).expect(200);
      expect(none.body).toMatchObject({ items: [], total: 0 });
      for (const query of [{ status: 'running' }, { limit: 0 }, { limit: 201 }, { offset: -1 }, { limit: 'ten' }, { colour: 'red' }]) {
        const res = await t.http().get('/api/v1/ab-tests').query(query).set(admin()).expect(400);
        expectError(res.body, 400, 'VALIDATION_FAILED');
      }
    });

    it('403 for role violations, 401 without a token', async () => {
      const user = bearer(t.tokens.user());
      const service = bearer(t.tokens.service);
      const id = '3f0c9a52-6a1e-4c8e-9d57-2b1f0e4a7c11';
      const cases = [
        [t.http().post('/api/v1/ab-tests').send(buildAbTestBody({ model_type: 'safety_classifier' })), user],
        [t.http().post('/api/v1/ab-tests').send(buildAbTestBody({ model_type: 'safety_classifier' })), service],
        [t.http().get('/api/v1/ab-tests'), user],
        [t.http().get(`/api/v1/ab-tests/${id}`), user],
        [t.http().get(`/api/v1/ab-tests/${id}/events`), user],
        [t.http().post(`/api/v1/ab-tests/${id}/start`), service],
        [t.http().post(`/api/v1/ab-tests/${id}/pause`), user],
        [t.http().post(`/api/v1/ab-tests/${id}/complete`).send({ winner: 'a' }), service],
        [t.http().patch(`/api/v1/ab-tests/${id}/traffic-split`).send({ a: 0.5, b: 0.5 }), service],
      ] as const;
      for (const [request, auth] of cases) {
        const res = await request.set(auth).expect(403);
        expectError(res.body, 403, 'FORBIDDEN_ROLE');
      }
      await t.http().get('/api/v1/ab-tests').expect(401);
      await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'safety_classifier' }).expect(401);
    });
  });

  describe('GET /ab-tests/user/variant', () => {
    let modelType: string;
    let testId: string;
    beforeAll(async () => {
      modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
      testId = await startAbTest(t, { model_type: modelType });
    });

    it("a user token gets its own sub's assignment, also when it names itself", async () => {
      const res = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType }).set(bearer(t.tokens.user('carol'))).expect(200);
      const same = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: 'carol' }).set(bearer(t.tokens.user('carol'))).expect(200);
      expect(same.body).toEqual(res.body);
      const [row] = await t.dataSource.query('SELECT variant FROM ab_test_assignments WHERE ab_test_id = $1 AND user_id = $2', [testId, 'carol']);
      expect(row.variant).toBe(res.body.variant);
    });

    it("403 when a user token asks for another user's variant", async () => {
      const res = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: 'dave' }).set(bearer(t.tokens.user('carol'))).expect(403);
      expectError(res.body, 403, 'FORBIDDEN_USER_ID');
      const rows = await t.dataSource.query('SELECT 1 FROM ab_test_assignments WHERE user_id = $1', ['dave']);
      expect(rows).toHaveLength(0);
    });

    it('service and admin tokens may pass user_id; without it they get their own sub', async () => {
      const carol = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType }).set(bearer(t.tokens.user('carol'))).expect(200);
      const viaService = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: 'carol' }).set(bearer(t.tokens.service)).expect(200);
      const viaAdmin = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: 'carol' }).set(admin()).expect(200);
      expect(viaService.body).toEqual(carol.body);
      expect(viaAdmin.body).toEqual(carol.body);
      await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType }).set(bearer(t.tokens.service)).expect(200);
      const rows = await t.dataSource.query('SELECT 1 FROM ab_test_assignments WHERE ab_test_id = $1 AND user_id = $2', [testId, 'service-1']);
      expect(rows).toHaveLength(1);
    });

    it('follows GrowthBook hash v2 with the test id as the default seed', async () => {
      const { assignVariant } = await import('../../src/modules/ab-tests/assignment/bucketing.js');
      for (let i = 0; i < 20; i++) {
        const user = `gb-${i}`;
        const res = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: user }).set(bearer(t.tokens.service)).expect(200);
        expect(res.body.variant).toBe(assignVariant(testId, user, { a: 0.5, b: 0.5 }));
      }
    });

    it('404 NO_MODEL_VERSION without a test or a production version; 400 for a bad query', async () => {
      const bare = await registerModelType(t, [{ version: 'v1.0.0' }]);
      const res = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: bare }).set(bearer(t.tokens.user())).expect(404);
      expectError(res.body, 404, 'NO_MODEL_VERSION', new RegExp(bare));
      const unknown = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'never_registered' }).set(bearer(t.tokens.user())).expect(404);
      expectError(unknown.body, 404, 'NO_MODEL_VERSION');
      for (const query of [{}, { model_type: 'Bad Type' }, { model_type: modelType, user_id: 'x'.repeat(256) }, { model_type: modelType, extra: 1 }]) {
        const bad = await t.http().get('/api/v1/ab-tests/user/variant').query(query).set(bearer(t.tokens.service)).expect(400);
        expectError(bad.body, 400, 'VALIDATION_FAILED');
      }
    });

    it('answers a production version promoted after the first read (cache invalidation)', async () => {
      const fresh = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
      const before = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: fresh }).set(bearer(t.tokens.user())).expect(200);
      expect(before.body.model_version).toBe('v1.0.0');
      await t.app.get(ModelStagesService).promoteVersion({ modelType: fresh, version: 'v2.0.0', stage: 'production', actor: 'test' });
      const deadline = Date.now() + 2000;
      let version = '';
      while (Date.now() < deadline && version !== 'v2.0.0') {
        version = (await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: fresh }).set(bearer(t.tokens.user())).expect(200)).body.model_version;
      }
      expect(version).toBe('v2.0.0');
    });
  });
});
