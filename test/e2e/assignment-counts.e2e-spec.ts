/**
 * Assignment counters (migration 1764000000157): GET /ab-tests/{id} and /results read per-(test,
 * split_version, variant) counters kept by triggers in the inserting transaction, not count(*).
 * Checked against count(*) over the stored rows after every kind of insert, a ramp, deletes, a
 * test's cascading delete, and the migration's backfill of rows stored before it existed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignmentCounts1764000000157 } from '../../src/database/migrations/1764000000157-assignment-counts.js';
import { AssignmentService } from '../../src/modules/ab-tests/assignment/assignment.service.js';
import { bearer, registerModelType, startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface CountRow {
  split_version: number;
  variant: 'a' | 'b';
  n: number;
}

describe('assignment counters', () => {
  let t: TestApp;
  let assignment: AssignmentService;
  const admin = () => bearer(t.tokens.admin);

  beforeAll(async () => {
    t = await createTestApp();
    assignment = t.app.get(AssignmentService);
  });
  afterAll(async () => {
    await t?.close();
  });

  const stored = (testId: string): Promise<CountRow[]> =>
    t.dataSource.query(
      `SELECT split_version, variant::text AS variant, count(*)::int AS n FROM ab_test_assignments WHERE ab_test_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [testId],
    );
  const counted = (testId: string): Promise<CountRow[]> =>
    t.dataSource.query(
      `SELECT split_version, variant::text AS variant, sum(count)::int AS n FROM ab_test_assignment_counts WHERE ab_test_id = $1 GROUP BY 1, 2 HAVING sum(count) <> 0 ORDER BY 1, 2`,
      [testId],
    );
  const totals = (rows: CountRow[]) => ({
    a: rows.filter((r) => r.variant === 'a').reduce((s, r) => s + r.n, 0),
    b: rows.filter((r) => r.variant === 'b').reduce((s, r) => s + r.n, 0),
  });

  it('follow every insert (grouped, raced, direct) across a ramp, and GET /ab-tests/{id} and /results report them', async () => {
    const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
    const testId = await startAbTest(t, { model_type: modelType });
    // Stored by another instance before this one saw the user: a direct insert.
    await t.dataSource.query(`INSERT INTO ab_test_assignments (ab_test_id, user_id, variant, split_version) VALUES ($1, 'raced', 'b', 1)`, [testId]);
    await Promise.all(Array.from({ length: 3000 }, (_, i) => assignment.getModelVersionForUser(`c-${i}`, modelType)));
    await assignment.getModelVersionForUser('raced', modelType); // a conflict: nothing new to count
    await t.http().patch(`/api/v1/ab-tests/${testId}/traffic-split`).set(admin()).send({ a: 0.2, b: 0.8 }).expect(200);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => assignment.getModelVersionForUser(`ramped-${i}`, modelType)));

    const truth = await stored(testId);
    expect(truth.map((r) => r.split_version)).toEqual([1, 1, 2, 2]);
    expect(await counted(testId)).toEqual(truth);
    const expected = totals(truth);
    expect(expected.a + expected.b).toBe(4001);

    const detail = await t.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
    expect(detail.body.assignments).toEqual({ variant_a: expected.a, variant_b: expected.b, total: 4001 });
    const results = await t.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200);
    expect(results.body.sample_ratio.observed).toEqual(expected);

    // A handful of rows per test however many users: at most 16 shards × 2 split versions × 2 variants.
    const [{ rows }] = await t.dataSource.query(`SELECT count(*)::int AS rows FROM ab_test_assignment_counts WHERE ab_test_id = $1`, [testId]);
    expect(rows).toBeLessThanOrEqual(64);
  });

  it('subtract deleted rows, and a test deleted with its assignments takes its counters along', async () => {
    const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
    const testId = await startAbTest(t, { model_type: modelType });
    await Promise.all(Array.from({ length: 500 }, (_, i) => assignment.getModelVersionForUser(`d-${i}`, modelType)));
    await t.dataSource.query(`DELETE FROM ab_test_assignments WHERE ab_test_id = $1 AND user_id LIKE 'd-1%'`, [testId]);
    expect(await counted(testId)).toEqual(await stored(testId));
    expect(totals(await counted(testId)).a + totals(await counted(testId)).b).toBe(500 - 111);

    await t.dataSource.query(`DELETE FROM ab_tests WHERE id = $1`, [testId]);
    expect(await t.dataSource.query(`SELECT 1 FROM ab_test_assignment_counts WHERE ab_test_id = $1`, [testId])).toEqual([]);
  });

  it('the migration backfills the counters from assignments stored before it', async () => {
    const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
    const testId = await startAbTest(t, { model_type: modelType });
    const migration = new AssignmentCounts1764000000157();
    const runner = t.dataSource.createQueryRunner();
    try {
      // As the migration runner does: each migration in its own transaction.
      await runner.startTransaction();
      await migration.down(runner);
      await runner.commitTransaction();
      await t.dataSource.query(
        `INSERT INTO ab_test_assignments (ab_test_id, user_id, variant, split_version)
           SELECT $1, 'old-' || i, CASE WHEN i % 3 = 0 THEN 'b' ELSE 'a' END::ab_test_variant, 1 + (i % 2) FROM generate_series(1, 900) AS i`,
        [testId],
      );
      await runner.startTransaction();
      await migration.up(runner);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    const truth = await stored(testId);
    expect(truth).toHaveLength(4);
    expect(await counted(testId)).toEqual(truth);
    // And the triggers are back: a new user is counted.
    await assignment.getModelVersionForUser('after-backfill', modelType);
    expect(await counted(testId)).toEqual(await stored(testId));
  });
});
