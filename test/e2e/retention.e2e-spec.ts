import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionJob } from '../../src/database/retention-job.js';
import { bearer, registerModelType, startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Bounded data: minute-level metric rows, predictions and messages older than their retention go;
 * hour/day roll-ups stay, so results and summaries (and a completed test's frozen results) are
 * unchanged; one instance runs the job at a time.
 */
describe('retention', () => {
  let first: TestApp;
  /** Same database, PREDICTION_RETENTION_DAYS=0 (keep predictions). */
  let second: TestApp;
  const admin = () => bearer(first.tokens.admin);
  const count = async (sql: string, params: unknown[] = []) => ((await first.dataSource.query(sql, params)) as Array<{ n: number }>)[0]!.n;

  beforeAll(async () => {
    first = await createTestApp({ METRICS_MINUTE_RETENTION_DAYS: '30', PREDICTION_RETENTION_DAYS: '90', MESSAGE_RETENTION_DAYS: '60' });
    second = await createTestApp({ PREDICTION_RETENTION_DAYS: '0', MESSAGE_RETENTION_DAYS: '0', METRICS_MINUTE_RETENTION_DAYS: '0' }, { database: { url: first.databaseUrl }, jwtSecret: first.tokens.secret });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const ingest = async (testId: string, seed: number) => {
    const events = Array.from({ length: 200 }, (_, i) => ({ variant: i % 2 ? 'a' : 'b', latency_ms: 10 + ((i * seed) % 90), error: i % 17 === 0 }));
    await first.http().post(`/api/v1/ab-tests/${testId}/metrics`).set(bearer(first.tokens.service)).send({ events }).expect(200);
  };
  const view = async (testId: string) => {
    const test = (await first.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200)).body as Record<string, unknown>;
    const results = (await first.http().get(`/api/v1/ab-tests/${testId}/results`).set(admin()).expect(200)).body as Record<string, unknown>;
    delete results.computed_at;
    return { metrics: test.metrics, assignments: test.assignments, results };
  };

  it('deletes old minute rows, predictions and messages; roll-ups, results and frozen results are unchanged', async () => {
    // Two tests with metrics whose minute rows are 40 days old (their roll-ups stay where they are),
    // plus recent minute rows; one of them completed (frozen results).
    const tests: string[] = [];
    for (const seed of [3, 7]) {
      const modelType = await registerModelType(first, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'ret');
      const testId = await startAbTest(first, { model_type: modelType });
      await ingest(testId, seed);
      await first.dataSource.query(`UPDATE metric_aggregates SET bucket_start = bucket_start - interval '40 days' WHERE ab_test_id = $1`, [testId]);
      await ingest(testId, seed + 1);
      tests.push(testId);
    }
    const [completed, active] = tests as [string, string];
    await first.http().post(`/api/v1/ab-tests/${completed}/complete`).set(admin()).send({ winner: 'b' }).expect(200);
    const before = { completed: await view(completed), active: await view(active) };
    const minuteRows = (where: string) => count(`SELECT count(*)::int AS n FROM metric_aggregates WHERE ab_test_id = ANY($1::uuid[]) AND ${where}`, [tests]);
    const rollups = await count(`SELECT count(*)::int AS n FROM metric_rollups WHERE ab_test_id = ANY($1::uuid[])`, [tests]);
    const oldMinutes = await minuteRows(`bucket_start < now() - interval '30 days'`);
    const recentMinutes = await minuteRows(`bucket_start >= now() - interval '30 days'`);
    expect(oldMinutes).toBeGreaterThan(0);
    expect(recentMinutes).toBeGreaterThan(0);

    // Predictions 100 and 10 days old; a conversation whose only message is 70 days old, and one
    // with a 70-day-old and a new message.
    for (const age of [100, 100, 10]) {
      await first.dataSource.query(
        `INSERT INTO predictions (id, model_type, model_version, user_id, label, score, created_at) VALUES ($1, 'safety_classifier', 'v1.0.0', 'u', 'safe', 0.9, now() - make_interval(days => $2))`,
        [randomUUID(), age],
      );
    }
    const [stale, living] = [randomUUID(), randomUUID()];
    await first.dataSource.query(`INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES ($1, 'u', now() - interval '70 days', now() - interval '70 days'), ($2, 'u', now() - interval '70 days', now())`, [stale, living]);
    await first.dataSource.query(
      `INSERT INTO messages (conversation_id, role, text, created_at) VALUES ($1, 'user', 'old', now() - interval '70 days'), ($2, 'user', 'old', now() - interval '70 days'), ($2, 'user', 'new', now())`,
      [stale, living],
    );
    const predictions = () => count(`SELECT count(*)::int AS n FROM predictions WHERE model_type = 'safety_classifier' AND user_id = 'u'`);

    // The instance configured to keep everything deletes none of it.
    const kept = await second.app.get(RetentionJob).runNow({ force: true });
    expect(kept.outcome).toBe('ran');
    expect(Object.keys(kept.deleted)).toEqual(['unreferenced artifacts']);
    expect(await predictions()).toBe(3);

    const run = await first.app.get(RetentionJob).runNow({ force: true });
    expect(run).toEqual({ outcome: 'ran', deleted: { 'metric minute rows': oldMinutes, predictions: 2, messages: 2, 'unreferenced artifacts': 0 } });
    expect(await minuteRows('true')).toBe(recentMinutes);
    expect(await count(`SELECT count(*)::int AS n FROM metric_rollups WHERE ab_test_id = ANY($1::uuid[])`, [tests])).toBe(rollups);
    expect(await predictions()).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM conversations WHERE id = ANY($1::uuid[])`, [[stale, living]])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`, [living])).toBe(1);

    expect(await view(completed)).toEqual(before.completed);
    expect(await view(active)).toEqual(before.active);
    const [record] = await first.dataSource.query(`SELECT summary FROM maintenance_runs WHERE job = 'retention'`);
    expect(record.summary).toEqual(run.deleted);
  });

  it('one instance runs it at a time, and not again within the interval', async () => {
    await first.dataSource.query(`DELETE FROM maintenance_runs`);
    const outcomes = (await Promise.all([first.app.get(RetentionJob).runNow(), second.app.get(RetentionJob).runNow()])).map((r) => r.outcome).sort();
    // Both asked at once: one ran; the other found the lock taken, or (if it asked just after) the fresh run.
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(1);
    expect(['locked', 'recent']).toContain(outcomes.find((o) => o !== 'ran'));
    expect((await first.app.get(RetentionJob).runNow()).outcome).toBe('recent');
  });
});
