import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignmentService } from '../../src/modules/ab-tests/assignment/assignment.service.js';
import { bearer, startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * A user id with a lone surrogate (valid in a JSON string, not in UTF-8) is stored by PostgreSQL
 * as U+FFFD. The first assignment must find the row it stored, not fail with 503 (found by the
 * fuzz suite: `POST /conversations/messages {"user_id": "\ud800"}` → 503 ASSIGNMENT_UNAVAILABLE;
 * HTTP now refuses such strings with 400, in-process callers of the assignment service can still
 * pass them).
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
    // Over HTTP such strings are refused with 400; in-process callers can still pass one.
    const assignments = t.app.get(AssignmentService);
    const answer = await assignments.getModelVersionForUser('lone-\ud800', 'safety_classifier');
    expect(answer?.variant).toMatch(/^[ab]$/);
    const rows = await t.dataSource.query(`SELECT user_id FROM ab_test_assignments WHERE user_id LIKE 'lone-%'`);
    expect(rows).toEqual([{ user_id: 'lone-\ufffd' }]);
    const again = await t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'safety_classifier', user_id: 'lone-\ufffd' }).set(bearer(t.tokens.service)).expect(200);
    expect(again.body.variant).toBe(answer?.variant);
  });
});
