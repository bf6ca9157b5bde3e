import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { startAbTest } from '../support/ab-test-factory.js';
import { corruptStoredArtifact } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * A variant whose model cannot serve: its users get 503 MODEL_UNAVAILABLE — never an answer from
 * the other variant — and every failure counts as an error of that variant, so error-rate
 * guardrails see it.
 */
describe('safety check when variant b cannot be loaded', () => {
  let t: TestApp;
  let testId: string;
  const admin = () => ({ authorization: `Bearer ${t.tokens.admin}` });
  const check = (user: string) => t.http().post('/api/v1/safety/check').set('authorization', `Bearer ${t.tokens.user(user)}`).send({ text: 'hello there' });

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
    // Corrupt v2.0.0's artifact before anything loads it (the store verifies the sha256 on read).
    const [{ sha256 }] = await t.dataSource.query(`SELECT sha256 FROM model_versions WHERE model_type = 'safety_classifier' AND version = 'v2.0.0'`);
    await corruptStoredArtifact(t.dataSource, t.config.dataDir, sha256);

    testId = await startAbTest(t, { name: 'broken b', model_type: 'safety_classifier' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 to b users, serves a users, and counts the failures as b errors', async () => {
    const outcomes = { a: { requests: 0, errors: 0 }, b: { requests: 0, errors: 0 } };
    const predictionsBefore = await t.dataSource.query('SELECT count(*)::int AS n FROM predictions');
    let served = 0;
    for (let i = 0; i < 40; i++) {
      const user = `broken-${i}`;
      const variant = (await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'safety_classifier' }).set('authorization', `Bearer ${t.tokens.user(user)}`).expect(200))
        .body.variant as 'a' | 'b';
      // Twice: a failing user is not moved to the working variant on retry.
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await check(user);
        outcomes[variant].requests++;
        if (variant === 'b') {
          expect(res.status).toBe(503);
          expect(res.body).toMatchObject({ status_code: 503, code: 'MODEL_UNAVAILABLE' });
          expect(res.body.message).toContain('v2.0.0');
          expect(JSON.stringify(res.body)).not.toMatch(/node_modules|\.ts:\d+/);
          outcomes.b.errors++;
        } else {
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ variant: 'a', model_version: 'v1.0.0' });
          served++;
        }
      }
    }
    expect(outcomes.a.requests).toBeGreaterThan(0);
    expect(outcomes.b.requests).toBeGreaterThan(0);
    // Only answered checks are stored as predictions.
    const predictionsAfter = await t.dataSource.query('SELECT count(*)::int AS n FROM predictions');
    expect(predictionsAfter[0].n - predictionsBefore[0].n).toBe(served);

    await t.app.get(MetricsService).flushNow();
    const res = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
    expect(res.body.metrics.variant_a).toMatchObject({ requests: outcomes.a.requests, errors: 0 });
    expect(res.body.metrics.variant_b).toMatchObject({ requests: outcomes.b.requests, errors: outcomes.b.errors, error_rate: 1 });
  });
});
