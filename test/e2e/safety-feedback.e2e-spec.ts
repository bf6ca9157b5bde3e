import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

function expectError(body: unknown, status: number, code: string): void {
  expect(body).toMatchObject({ status_code: status, code });
}

describe('POST /api/v1/predictions/{id}/feedback', () => {
  let t: TestApp;
  let testId: string;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const check = async (user: string, text: string) =>
    (await t.http().post('/api/v1/safety/check').set(bearer(t.tokens.user(user))).send({ text }).expect(200)).body as {
      prediction_id: string;
      label: string;
      variant: 'a' | 'b' | null;
    };
  const feedback = (token: string, id: string, body: unknown) =>
    t.http().post(`/api/v1/predictions/${id}/feedback`).set(bearer(token)).send(body as object);

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('outside an A/B test', () => {
    it('is stored on the prediction but records no metric', async () => {
      const prediction = await check('fb-alice', 'hello there!');
      const res = await feedback(t.tokens.user('fb-alice'), prediction.prediction_id, { correct: true }).expect(200);
      expect(res.body).toEqual({ prediction_id: prediction.prediction_id, correct: true, recorded_metric: false });
      const [row] = await t.dataSource.query('SELECT feedback_correct, feedback_label, feedback_by, feedback_at FROM predictions WHERE id = $1', [prediction.prediction_id]);
      expect(row).toMatchObject({ feedback_correct: true, feedback_label: null, feedback_by: 'fb-alice' });
      expect(row.feedback_at).toBeInstanceOf(Date);
    });

    it('is accepted once: the second is 409, even when both race', async () => {
      const prediction = await check('fb-bob', 'hello there!');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => feedback(t.tokens.user('fb-bob'), prediction.prediction_id, { correct: i % 2 === 0 })),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      const conflicts = results.filter((r) => r.status === 409);
      expect(conflicts).toHaveLength(7);
      expectError(conflicts[0]!.body, 409, 'FEEDBACK_ALREADY_GIVEN');
    });

    it("another user's prediction is 404 (not 403: its existence is not theirs to know)", async () => {
      const prediction = await check('fb-carol', 'hello there!');
      const res = await feedback(t.tokens.user('fb-mallory'), prediction.prediction_id, { correct: false }).expect(404);
      expectError(res.body, 404, 'PREDICTION_NOT_FOUND');
      const [row] = await t.dataSource.query('SELECT feedback_at FROM predictions WHERE id = $1', [prediction.prediction_id]);
      expect(row.feedback_at).toBeNull();
    });

    it('service and admin tokens may give feedback on anyone’s prediction', async () => {
      const first = await check('fb-dave', 'hello there!');
      await feedback(t.tokens.service, first.prediction_id, { correct: false }).expect(200);
      const second = await check('fb-dave', 'hello there!');
      await feedback(t.tokens.admin, second.prediction_id, { correct: true }).expect(200);
      const [row] = await t.dataSource.query('SELECT feedback_by FROM predictions WHERE id = $1', [first.prediction_id]);
      expect(row.feedback_by).toBe('service-1');
    });

    it('{label} is correct exactly when it equals the predicted label', async () => {
      const right = await check('fb-erin', 'you are a worthless idiot');
      expect(right.label).toBe('toxic');
      const r1 = await feedback(t.tokens.user('fb-erin'), right.prediction_id, { label: 'toxic' }).expect(200);
      expect(r1.body.correct).toBe(true);
      const wrong = await check('fb-erin', 'you are a worthless idiot');
      const r2 = await feedback(t.tokens.user('fb-erin'), wrong.prediction_id, { label: 'safe' }).expect(200);
      expect(r2.body.correct).toBe(false);
      const [row] = await t.dataSource.query('SELECT feedback_correct, feedback_label FROM predictions WHERE id = $1', [wrong.prediction_id]);
      expect(row).toEqual({ feedback_correct: false, feedback_label: 'safe' });
    });

    it.each([
      ['neither correct nor label', {}, 'INVALID_FEEDBACK'],
      ['both correct and label', { correct: true, label: 'safe' }, 'INVALID_FEEDBACK'],
      ['a label the model does not have', { label: 'spam' }, 'INVALID_FEEDBACK'],
      ['correct as a string', { correct: 'yes' }, 'VALIDATION_FAILED'],
      ['an unknown field', { correct: true, comment: 'nice' }, 'VALIDATION_FAILED'],
    ])('400 for %s, and the prediction keeps no feedback', async (_name, body, code) => {
      const prediction = await check('fb-frank', 'hello there!');
      const res = await feedback(t.tokens.user('fb-frank'), prediction.prediction_id, body).expect(400);
      expectError(res.body, 400, code);
      const [row] = await t.dataSource.query('SELECT feedback_at FROM predictions WHERE id = $1', [prediction.prediction_id]);
      expect(row.feedback_at).toBeNull();
    });

    it('the labels error lists the labels the model has', async () => {
      const prediction = await check('fb-frank', 'hello there!');
      const res = await feedback(t.tokens.user('fb-frank'), prediction.prediction_id, { label: 'spam' }).expect(400);
      expect(res.body.message).toContain('safe, toxic, self_harm, pii');
    });

    it.each([
      ['an unknown id', '0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11'],
      ['a malformed id', 'not-a-uuid'],
      ['an injection attempt', "1' OR '1'='1"],
    ])('404 for %s', async (_name, id) => {
      const res = await feedback(t.tokens.service, encodeURIComponent(id), { correct: true }).expect(404);
      expectError(res.body, 404, 'PREDICTION_NOT_FOUND');
    });

    it('401 without a token', async () => {
      await t.http().post('/api/v1/predictions/0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11/feedback').send({ correct: true }).expect(401);
    });
  });

  describe('inside an A/B test: the accuracy metric of the variant that predicted', () => {
    beforeAll(async () => {
      testId = await startAbTest(t, { name: 'Safety accuracy', model_type: 'safety_classifier', metrics: [{ name: 'accuracy', higher_is_better: true }] });
    });

    it('credits each feedback to the variant that made the prediction', async () => {
      const expected = { a: { n: 0, sum: 0 }, b: { n: 0, sum: 0 } };
      for (let i = 0; i < 40; i++) {
        const user = `acc-user-${i}`;
        const prediction = await check(user, 'my email is jane.doe@example.com');
        expect(prediction.variant).not.toBeNull();
        const correct = prediction.label === 'pii';
        const res = await feedback(t.tokens.user(user), prediction.prediction_id, { label: 'pii' }).expect(200);
        expect(res.body).toEqual({ prediction_id: prediction.prediction_id, correct, recorded_metric: true });
        expected[prediction.variant!].n++;
        expected[prediction.variant!].sum += correct ? 1 : 0;
      }
      await t.app.get(MetricsService).flushNow();
      const res = await t.http().get(`/api/v1/ab-tests/${testId}`).set(bearer(t.tokens.admin)).expect(200);
      for (const variant of ['a', 'b'] as const) {
        const accuracy = res.body.metrics[`variant_${variant}`].custom.accuracy;
        expect(accuracy.count).toBe(expected[variant].n);
        expect(accuracy.mean).toBeCloseTo(expected[variant].sum / expected[variant].n, 9);
        // Feedback is a custom metric value, not a request.
        expect(res.body.metrics[`variant_${variant}`].requests).toBe(expected[variant].n);
      }
    });

    it('after the test is completed, feedback is kept on the prediction but no longer recorded', async () => {
      const prediction = await check('late-user', 'hello there!');
      expect(prediction.variant).not.toBeNull();
      await t.http().post(`/api/v1/ab-tests/${testId}/complete`).set(bearer(t.tokens.admin)).send({ winner: null }).expect(200);
      const res = await feedback(t.tokens.user('late-user'), prediction.prediction_id, { correct: true }).expect(200);
      expect(res.body).toEqual({ prediction_id: prediction.prediction_id, correct: true, recorded_metric: false });
      const [row] = await t.dataSource.query('SELECT feedback_correct FROM predictions WHERE id = $1', [prediction.prediction_id]);
      expect(row.feedback_correct).toBe(true);
    });
  });
});
