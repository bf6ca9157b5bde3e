import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectError(body: unknown, status: number, code: string): void {
  expect(body).toMatchObject({ status_code: status, code });
  expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+|SELECT|INSERT/);
}

describe('POST /api/v1/safety/check', () => {
  let t: TestApp;
  const check = (token: string, body: unknown) => t.http().post('/api/v1/safety/check').set('authorization', `Bearer ${token}`).send(body as object);

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('outside an A/B test', () => {
    it.each([
      ['can you help me update my billing address?', 'safe', true],
      ['you are a worthless idiot', 'toxic', false],
      ['I want to end my life', 'self_harm', false],
      ['my card number is 4111 1111 1111 1111', 'pii', false],
    ])('%j → %s from the production version, stored as a prediction', async (text, label, safe) => {
      const res = await check(t.tokens.user('alice'), { text }).expect(200);
      expect(res.body).toEqual({
        label,
        score: expect.any(Number),
        safe,
        model_type: 'safety_classifier',
        model_version: 'v1.0.0',
        variant: null,
        ab_test_id: null,
        prediction_id: expect.stringMatching(UUID),
      });
      expect(res.body.score).toBeGreaterThan(0.5);
      expect(res.body.score).toBeLessThanOrEqual(1);
      const [row] = await t.dataSource.query('SELECT * FROM predictions WHERE id = $1', [res.body.prediction_id]);
      expect(row).toMatchObject({
        ab_test_id: null,
        variant: null,
        model_type: 'safety_classifier',
        model_version: 'v1.0.0',
        user_id: 'alice',
        label,
        feedback_at: null,
      });
      expect(row.score).toBeCloseTo(res.body.score, 12);
    });

    it('a service token checks for the end user it names', async () => {
      const res = await check(t.tokens.service, { text: 'hello there!', user_id: 'bob' }).expect(200);
      const [row] = await t.dataSource.query('SELECT user_id FROM predictions WHERE id = $1', [res.body.prediction_id]);
      expect(row.user_id).toBe('bob');
    });

    it('a user token may name itself but nobody else', async () => {
      await check(t.tokens.user('carol'), { text: 'hello', user_id: 'carol' }).expect(200);
      const res = await check(t.tokens.user('carol'), { text: 'hello', user_id: 'dave' }).expect(403);
      expectError(res.body, 403, 'FORBIDDEN_USER_ID');
    });
  });

  describe('access and validation', () => {
    it('401 without a token', async () => {
      const res = await t.http().post('/api/v1/safety/check').send({ text: 'hi' }).expect(401);
      expectError(res.body, 401, 'AUTH_REQUIRED');
    });

    it('403 for an admin token (checks are made for users and by services)', async () => {
      const res = await check(t.tokens.admin, { text: 'hi' }).expect(403);
      expectError(res.body, 403, 'FORBIDDEN_ROLE');
    });

    it.each([
      ['missing text', {}],
      ['empty text', { text: '' }],
      ['text over 10,000 characters', { text: 'a'.repeat(10_001) }],
      ['text not a string', { text: 42 }],
      ['an unknown field', { text: 'hi', model_version: 'v2.0.0' }],
      ['an empty user_id', { text: 'hi', user_id: '' }],
      ['a user_id over 255 characters', { text: 'hi', user_id: 'u'.repeat(256) }],
    ])('400 for %s, and nothing stored', async (_name, body) => {
      const before = await t.dataSource.query('SELECT count(*)::int AS n FROM predictions');
      const res = await check(t.tokens.service, body).expect(400);
      expectError(res.body, 400, 'VALIDATION_FAILED');
      const after = await t.dataSource.query('SELECT count(*)::int AS n FROM predictions');
      expect(after[0].n).toBe(before[0].n);
    });

    it('accepts exactly 10,000 characters', async () => {
      await check(t.tokens.user(), { text: 'a'.repeat(10_000) }).expect(200);
    });
  });

  describe('inside a running 50/50 A/B test', () => {
    let testId: string;
    const admin = () => ({ authorization: `Bearer ${t.tokens.admin}` });

    beforeAll(async () => {
      testId = await startAbTest(t, { name: 'Safety Classifier v2 Test', model_type: 'safety_classifier' });
    });

    it('serves every user the version of its variant, sticky, and records requests and latency per variant', async () => {
      const users = Array.from({ length: 60 }, (_, i) => `ab-user-${i}`);
      const served = new Map<string, { variant: string; version: string }>();
      for (const user of users) {
        const res = await check(t.tokens.user(user), { text: 'what time does the store close on sundays' }).expect(200);
        expect(res.body.ab_test_id).toBe(testId);
        expect(['a', 'b']).toContain(res.body.variant);
        expect(res.body.model_version).toBe(res.body.variant === 'a' ? 'v1.0.0' : 'v2.0.0');
        served.set(user, { variant: res.body.variant, version: res.body.model_version });
        const [row] = await t.dataSource.query('SELECT ab_test_id, variant, model_version FROM predictions WHERE id = $1', [res.body.prediction_id]);
        expect(row).toEqual({ ab_test_id: testId, variant: res.body.variant, model_version: res.body.model_version });
      }
      // The same answer as the A/B tests' own endpoint, and the same again on a second request.
      for (const user of users.slice(0, 10)) {
        const variant = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'safety_classifier' }).set('authorization', `Bearer ${t.tokens.user(user)}`).expect(200);
        expect(variant.body.variant).toBe(served.get(user)!.variant);
        const again = await check(t.tokens.user(user), { text: 'thanks!' }).expect(200);
        expect(again.body.variant).toBe(served.get(user)!.variant);
      }
      const perVariant = { a: 0, b: 0 };
      for (const { variant } of served.values()) perVariant[variant as 'a' | 'b']++;
      const requests = { ...perVariant };
      for (const user of users.slice(0, 10)) requests[served.get(user)!.variant as 'a' | 'b']++;
      expect(perVariant.a).toBeGreaterThan(10);
      expect(perVariant.b).toBeGreaterThan(10);

      await t.app.get(MetricsService).flushNow();
      const res = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(res.body.metrics.variant_a).toMatchObject({ requests: requests.a, errors: 0 });
      expect(res.body.metrics.variant_b).toMatchObject({ requests: requests.b, errors: 0 });
      expect(res.body.metrics.variant_a.avg_latency).toBeGreaterThan(0);
      expect(res.body.metrics.variant_b.avg_latency).toBeGreaterThan(0);
      // Inference of these tiny models takes microseconds to a few milliseconds, never seconds.
      expect(res.body.metrics.variant_b.avg_latency).toBeLessThan(1000);
      expect(res.body.assignments).toMatchObject({ variant_a: perVariant.a, variant_b: perVariant.b, total: users.length });
    });

    it('after the test completes with promote, everyone gets the winner with variant null', async () => {
      await t.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: 'b', promote: true }).expect(200);
      for (const user of ['ab-user-0', 'ab-user-1', 'someone-new']) {
        const res = await check(t.tokens.user(user), { text: 'hello' }).expect(200);
        expect(res.body).toMatchObject({ model_version: 'v2.0.0', variant: null, ab_test_id: null });
      }
    });
  });
});
