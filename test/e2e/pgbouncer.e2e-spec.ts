import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import { RetentionJob } from '../../src/database/retention-job.js';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { bearer } from '../support/ab-test-factory.js';
import { buildTestModel } from '../support/model-artifacts.js';
import { pgBouncerOrSkip, startPgBouncer, type RunningPgBouncer } from '../support/pgbouncer.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const binary = await pgBouncerOrSkip();

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * The service with DATABASE_URL pointing at a real PgBouncer (Debian's 1.18) in transaction
 * pooling, DATABASE_DIRECT_URL at PostgreSQL: no session state and no named prepared statement
 * survives a transaction through the pooler. Two instances start together on an empty database
 * (migrations and the example-model seed, each under its lock, on the direct connection), then
 * every write path runs through the pooler and the change feed carries changes between them.
 */
describe.skipIf(!binary)('behind PgBouncer (transaction pooling)', () => {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `model_ab_pgb_${randomBytes(4).toString('hex')}`;
  const directUrl = withDatabase(adminUrl, name);
  let bouncer: RunningPgBouncer;
  let first: TestApp;
  /** Periodic re-read off: only LISTEN/NOTIFY (on the direct connection) tells it about changes. */
  let second: TestApp;
  let direct: pg.Client;

  const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await direct.query(sql, params)).rows as T[];

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    // Few server connections, many clients: consecutive statements of one client land on different ones.
    bouncer = await startPgBouncer(binary!, adminUrl, inject('testTmpDir'), { poolSize: 6 });
    const pooled = bouncer.urlFor(name);
    const env = { DATABASE_URL: pooled, DATABASE_DIRECT_URL: directUrl, SEED_EXAMPLE_MODELS: 'true', ASSIGNMENT_CACHE_REFRESH_MS: '3600000', METRICS_FLUSH_MS: '100' };
    const options = { database: { url: pooled } };
    // Both at once on the empty database: one migrates and seeds, the other waits for the locks.
    [first, second] = await Promise.all([createTestApp(env, options), createTestApp(env, options)]);
    direct = new pg.Client({ connectionString: directUrl });
    await direct.connect();
  });

  afterAll(async () => {
    await direct?.end();
    await second?.close();
    await first?.close();
    await bouncer?.stop();
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const admin = () => bearer(first.tokens.admin);
  const service = () => bearer(first.tokens.service);

  it('two instances starting together on an empty database migrate once and seed once, leaving no lock behind', async () => {
    const applied = await query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(await query('SELECT model_type, version, stage FROM model_versions ORDER BY model_type, version')).toEqual([
      { model_type: 'intent_classifier', version: 'v1.0.0', stage: 'production' },
      { model_type: 'intent_classifier', version: 'v2.0.0', stage: 'none' },
      { model_type: 'safety_classifier', version: 'v1.0.0', stage: 'production' },
      { model_type: 'safety_classifier', version: 'v2.0.0', stage: 'none' },
    ]);
    // Every version's artifact went into PostgreSQL through the pooler.
    expect((await query('SELECT count(*)::int AS n FROM model_versions v JOIN model_artifacts a ON a.sha256 = v.sha256'))[0]).toEqual({ n: 4 });
    expect(await query(`SELECT objid FROM pg_locks WHERE locktype = 'advisory'`)).toEqual([]);
  });

  it('2,000 new users, 50 at a time, all get a stored variant (before the fix: 100 answered 500)', async () => {
    const testId = await createAndStart('safety_classifier', 'pgbouncer users');
    const statuses = new Map<number, number>();
    const answered = new Map<string, string>();
    for (let i = 0; i < 2000; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) => {
          const app = j % 2 ? second : first;
          return app.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'safety_classifier', user_id: `pgb-${i + j}` }).set(service());
        }),
      );
      batch.forEach((answer, j) => {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 200) answered.set(`pgb-${i + j}`, answer.body.variant as string);
      });
    }
    console.log(`[pgbouncer] 2,000 new users: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 2000 });
    const stored = await query<{ user_id: string; variant: string }>('SELECT user_id, variant::text AS variant FROM ab_test_assignments WHERE ab_test_id = $1', [testId]);
    expect(new Map(stored.map((row) => [row.user_id, row.variant]))).toEqual(answered);
    // The assignment counters (kept by triggers in each pooled insert's transaction) match the rows,
    // and what both instances report through the pooler is read from them.
    const byVariant = { a: stored.filter((row) => row.variant === 'a').length, b: stored.filter((row) => row.variant === 'b').length };
    const counters = await query<{ variant: string; n: number }>(
      'SELECT variant::text AS variant, sum(count)::int AS n FROM ab_test_assignment_counts WHERE ab_test_id = $1 GROUP BY 1 ORDER BY 1',
      [testId],
    );
    expect(counters).toEqual([
      { variant: 'a', n: byVariant.a },
      { variant: 'b', n: byVariant.b },
    ]);
    for (const app of [first, second]) {
      const detail = await app.http().get(`/api/v1/ab-tests/${testId}`).set(admin()).expect(200);
      expect(detail.body.assignments).toEqual({ variant_a: byVariant.a, variant_b: byVariant.b, total: 2000 });
    }
    await first.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: null }).expect(200);
  });

  it('every write path works through the pooler, and the change feed carries changes to the other instance', async () => {
    // Model registry: a model type, an uploaded version (artifact chunks), a promotion.
    await first.http().post('/api/v1/models').set(admin()).send({ name: 'pgb_type', task: 'text-classification' }).expect(201);
    for (const [version, seed] of [
      ['v1.0.0', 1],
      ['v2.0.0', 2],
    ] as const) {
      const model = buildTestModel({ seed: 900 + seed });
      await first
        .http()
        .post('/api/v1/models/pgb_type/versions')
        .set(admin())
        .field('version', version)
        .field('metadata', JSON.stringify(model.metadata))
        .attach('file', model.bytes, 'model.onnx')
        .expect(201);
    }
    await first.http().post('/api/v1/models/pgb_type/versions/v1.0.0/promote').set(admin()).send({ stage: 'production' }).expect(200);

    // A/B test lifecycle on the first instance, each step served by the second through LISTEN/NOTIFY.
    const variant = async (user: string) =>
      (await second.http().get('/api/v1/ab-tests/user/variant').query({ model_type: 'pgb_type', user_id: user }).set(service()).expect(200)).body as {
        ab_test_id: string | null;
        variant: string | null;
        model_version: string;
      };
    expect((await variant('warm')).ab_test_id).toBeNull();
    const created = await first
      .http()
      .post('/api/v1/ab-tests')
      .set(admin())
      .send({ name: 'pgb', model_type: 'pgb_type', variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0, b: 1 } })
      .expect(201);
    const testId = created.body.test_id as string;
    await first.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
    await within(1000, async () => (await variant('feed-1')).ab_test_id === testId);
    expect((await variant('feed-1')).variant).toBe('b');
    await first.http().patch(`/api/v1/ab-tests/${testId}/traffic-split`).set(admin()).send({ a: 1, b: 0 }).expect(200);
    let n = 0;
    await within(1000, async () => (await variant(`ramp-${n++}`)).variant === 'a');
    await first.http().post(`/api/v1/ab-tests/${testId}/pause`).set(admin()).expect(200);
    await within(1000, async () => (await variant('feed-1')).variant === 'a');
    await first.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
    await within(1000, async () => (await variant('feed-1')).variant === 'b');

    // Metric ingestion (group commit) and in-process recordings (flushed by the timer).
    const events = Array.from({ length: 300 }, (_, i) => ({ variant: i % 2 ? 'a' : 'b', latency_ms: 5 + (i % 40), error: i % 25 === 0 }));
    await second.http().post(`/api/v1/ab-tests/${testId}/metrics`).set(service()).send({ events }).expect(200);
    expect((await query(`SELECT sum(count)::int AS n FROM metric_aggregates WHERE ab_test_id = $1 AND metric = 'requests'`, [testId]))[0]).toEqual({ n: 300 });

    // Safety checks (predictions, group-committed) and feedback, conversation messages.
    const safetyTest = await createAndStart('safety_classifier', 'pgbouncer safety');
    const check = await first.http().post('/api/v1/safety/check').set(bearer(first.tokens.user('pgb-alice'))).send({ text: 'hello, how are you?' }).expect(200);
    const predictionId = check.body.prediction_id as string;
    await second.http().post(`/api/v1/predictions/${predictionId}/feedback`).set(bearer(first.tokens.user('pgb-alice'))).send({ correct: true }).expect(200);
    expect(await query('SELECT feedback_correct FROM predictions WHERE id = $1', [predictionId])).toEqual([{ feedback_correct: true }]);
    const posted = await second.http().post('/api/v1/conversations/messages').set(bearer(first.tokens.user('pgb-bob'))).send({ text: 'I want to cancel my subscription' }).expect(201);
    expect((await query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [posted.body.conversation_id]))[0]).toEqual({ n: 2 });
    await first.app.get(MetricsService).flushNow();
    expect((await query(`SELECT sum(count)::int AS n FROM metric_aggregates WHERE ab_test_id = $1 AND metric = 'requests'`, [safetyTest]))[0]!.n).toBeGreaterThan(0);

    // Completion with promotion (frozen results), the retention job, and the second instance sees it.
    await first.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: 'b', promote: true }).expect(200);
    await within(1000, async () => {
      const answer = await variant('feed-1');
      return answer.ab_test_id === null && answer.model_version === 'v2.0.0';
    });
    await first.http().post(`/api/v1/ab-tests/${safetyTest}/complete`).set(admin()).send({ winner: null }).expect(200);
    expect((await second.app.get(RetentionJob).runNow({ force: true })).outcome).toBe('ran');
    expect(await query(`SELECT objid FROM pg_locks WHERE locktype = 'advisory'`)).toEqual([]);
  });

  async function createAndStart(modelType: string, testName: string): Promise<string> {
    const res = await first
      .http()
      .post('/api/v1/ab-tests')
      .set(admin())
      .send({ name: testName, model_type: modelType, variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } })
      .expect(201);
    await first.http().post(`/api/v1/ab-tests/${res.body.test_id}/start`).set(admin()).expect(200);
    return res.body.test_id as string;
  }
});

async function within(ms: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not observed within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
