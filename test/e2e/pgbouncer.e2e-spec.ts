import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, registerModelType, startAbTest } from '../support/ab-test-factory.js';
import { createTestDatabase } from '../support/database.js';
import { pgBouncerOrSkip, startPgBouncer, type RunningPgBouncer } from '../support/pgbouncer.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const binary = await pgBouncerOrSkip();

/**
 * The service with DATABASE_URL pointing at a real PgBouncer 1.18 in transaction pooling: no
 * session state and no named prepared statements survive a transaction there.
 */
describe.skipIf(!binary)('behind PgBouncer (transaction pooling)', () => {
  let bouncer: RunningPgBouncer;
  let database: { url: string; name: string; drop: () => Promise<void> };
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(inject('adminDatabaseUrl'));
    bouncer = await startPgBouncer(binary!, inject('adminDatabaseUrl'), inject('testTmpDir'));
    const pooled = bouncer.urlFor(database.name);
    t = await createTestApp({ DATABASE_URL: pooled, DATABASE_DIRECT_URL: database.url }, { database: { url: pooled } });
  });

  afterAll(async () => {
    await t?.close();
    await bouncer?.stop();
    await database?.drop();
  });

  it('2,000 new users, 50 at a time, all get a stored variant', async () => {
    const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'pgb');
    const testId = await startAbTest(t, { model_type: modelType });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2000; i += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          t.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: `pgb-${i + j}` }).set(bearer(t.tokens.service)),
        ),
      );
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
    console.log(`[pgbouncer] 2,000 new users: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 2000 });
    const [{ count }] = (await t.dataSource.query('SELECT count(*)::int AS count FROM ab_test_assignments WHERE ab_test_id = $1', [testId])) as [{ count: number }];
    expect(count).toBe(2000);
  });
});
