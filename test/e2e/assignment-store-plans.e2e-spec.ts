/**
 * The assignment store's statements are prepared (planned once per connection), and PostgreSQL
 * switches a prepared statement to a generic plan after five executions. On a young
 * `ab_test_assignments` (a fresh install, never analysed) a generic plan that joins the table can
 * be a sequential scan, which then stays until autovacuum analyses the table: every new user's
 * batch read the whole table, and bench:assign measured new users at 0.04× bare Fastify on a fresh
 * database instead of ~0.2×. The plans must reach rows through the (ab_test_id, user_id) key only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignmentNaturalKey1764000000158 } from '../../src/database/migrations/1764000000158-assignment-natural-key.js';
import { ASSIGNMENT_STATEMENTS } from '../../src/modules/ab-tests/assignment/assignment.store.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('assignment store statements on a young table', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** EXPLAIN of the statement's generic plan, on a table that has never been analysed. */
  async function genericPlan(text: string, types: string, args: string): Promise<string> {
    const runner = t.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.query(`SET plan_cache_mode = force_generic_plan`);
      await runner.query(`PREPARE planned(${types}) AS ${text}`);
      const rows = (await runner.query(`EXPLAIN EXECUTE planned(${args})`)) as Array<{ 'QUERY PLAN': string }>;
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    } finally {
      // The connection goes back to the pool: leave nothing of this session behind.
      await runner.query(`DEALLOCATE planned`).catch(() => undefined);
      await runner.query(`RESET plan_cache_mode`).catch(() => undefined);
      await runner.release();
    }
  }
  const pairArgs = `ARRAY['00000000-0000-4000-8000-000000000001']::uuid[], ARRAY['u1']::varchar[]`;

  it('the table has never been analysed (the case under test)', async () => {
    const [row] = (await t.dataSource.query(`SELECT reltuples FROM pg_class WHERE relname = 'ab_test_assignments'`)) as Array<{ reltuples: number }>;
    expect(row!.reltuples).toBeLessThanOrEqual(0);
  });

  it('the insert of a batch reaches existing rows through the key, never a sequential scan', async () => {
    const plan = await genericPlan(ASSIGNMENT_STATEMENTS.insert.text, 'uuid[], varchar[], ab_test_variant[], integer[]', `${pairArgs}, ARRAY['a']::ab_test_variant[], ARRAY[1]`);
    expect(plan).toContain('Insert on ab_test_assignments');
    expect(plan).not.toMatch(/Seq Scan on ab_test_assignments/);
  });

  it('the read of skipped pairs uses the (ab_test_id, user_id) key, never a sequential scan', async () => {
    const plan = await genericPlan(ASSIGNMENT_STATEMENTS.read.text, 'uuid[], varchar[]', pairArgs);
    expect(plan).toMatch(/Index (Only )?Scan using ab_test_assignments_pkey on ab_test_assignments/);
    expect(plan).not.toMatch(/Seq Scan on ab_test_assignments/);
  });

  it('the primary key is (ab_test_id, user_id), and migration 1764000000158 reverts and re-applies', async () => {
    const keyColumns = async (): Promise<string[]> =>
      (
        (await t.dataSource.query(
          `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = 'ab_test_assignments'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        )) as Array<{ attname: string }>
      ).map((row) => row.attname);
    expect(await keyColumns()).toEqual(['ab_test_id', 'user_id']);
    const migration = new AssignmentNaturalKey1764000000158();
    const runner = t.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      expect(await keyColumns()).toEqual(['id']);
      await migration.up(runner);
      expect(await keyColumns()).toEqual(['ab_test_id', 'user_id']);
    } finally {
      await runner.release();
    }
  });
});
