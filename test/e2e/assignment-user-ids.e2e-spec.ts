import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * A user id with a lone surrogate (valid in a JSON string, not in UTF-8) is stored by PostgreSQL
 * as U+FFFD. The first assignment must find the row it stored, not fail with 503 (found by the
 * fuzz suite: `POST /conversations/messages {"user_id": "\ud800"}` → 503 ASSIGNMENT_UNAVAILABLE).
 */
describe('first assignment of a user id that is not well-formed UTF-16', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
    await startAbTest(t, { model_type: 'safety_classifier' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is stored under the U+FFFD spelling and answered', async () => {
    const res = await t.http().post('/api/v1/conversations/messages').set(bearer(t.tokens.service)).send({ text: 'hello there', user_id: 'lone-\ud800' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const rows = await t.dataSource.query(`SELECT user_id FROM ab_test_assignments WHERE user_id LIKE 'lone-%'`);
    expect(rows).toEqual([{ user_id: 'lone-\ufffd' }]);
    const again = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'safety_classifier', user_id: 'lone-\ufffd' }).set(bearer(t.tokens.service)).expect(200);
    expect(again.body.variant).toBe(res.body.safety.variant);
  });
});
