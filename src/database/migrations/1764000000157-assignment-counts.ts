import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Counter rows per (test, split version, variant); a connection adds to the shard of its backend pid. */
export const ASSIGNMENT_COUNT_SHARDS = 16;

/**
 * Per-(test, split_version, variant) assignment counters, so /results and GET /ab-tests/{id} read a
 * handful of rows instead of counting every assignment (count(*) grows with the test).
 *
 * - Kept by statement-level triggers with transition tables on ab_test_assignments: every insert
 *   (the group-commit writer's, a backfill's, a test's own) adds its rows' counts in the same
 *   transaction, once per statement rather than once per row; a delete subtracts. Deleting a test
 *   cascades to both tables.
 * - Sharded: a busy counter row would serialise concurrent inserts on its row lock until each
 *   commit. Each connection adds to shard `pg_backend_pid() % 16`, so concurrent statements on
 *   different connections rarely touch the same row; readers sum the shards.
 * - Backfilled from the rows already stored, with the table locked against writes meanwhile (an
 *   instance still running the old code waits, then its inserts fire the new trigger).
 */
export class AssignmentCounts1764000000157 implements MigrationInterface {
  name = 'AssignmentCounts1764000000157';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ab_test_assignment_counts (
        ab_test_id uuid NOT NULL REFERENCES ab_tests (id) ON DELETE CASCADE,
        split_version integer NOT NULL,
        variant ab_test_variant NOT NULL,
        shard smallint NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (ab_test_id, split_version, variant, shard)
      )`);
    await queryRunner.query(`
      CREATE FUNCTION ab_test_assignments_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ab_test_assignment_counts AS c (ab_test_id, split_version, variant, shard, count)
          SELECT ab_test_id, split_version, variant, pg_backend_pid() % ${ASSIGNMENT_COUNT_SHARDS}, count(*)
            FROM inserted_rows GROUP BY ab_test_id, split_version, variant
        ON CONFLICT (ab_test_id, split_version, variant, shard) DO UPDATE SET count = c.count + EXCLUDED.count;
        RETURN NULL;
      END $$`);
    // Only an update: during a test's cascading delete its counter rows may be gone already, and
    // inserting one then would violate the foreign key.
    await queryRunner.query(`
      CREATE FUNCTION ab_test_assignments_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE ab_test_assignment_counts c SET count = c.count - d.n
          FROM (SELECT ab_test_id, split_version, variant, count(*) AS n FROM deleted_rows GROUP BY 1, 2, 3) d
         WHERE c.ab_test_id = d.ab_test_id AND c.split_version = d.split_version AND c.variant = d.variant
           AND c.shard = (SELECT min(shard) FROM ab_test_assignment_counts m
                           WHERE m.ab_test_id = d.ab_test_id AND m.split_version = d.split_version AND m.variant = d.variant);
        RETURN NULL;
      END $$`);
    await queryRunner.query(`LOCK TABLE ab_test_assignments IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`
      CREATE TRIGGER ab_test_assignments_count_insert AFTER INSERT ON ab_test_assignments
        REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION ab_test_assignments_count_inserted()`);
    await queryRunner.query(`
      CREATE TRIGGER ab_test_assignments_count_delete AFTER DELETE ON ab_test_assignments
        REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION ab_test_assignments_count_deleted()`);
    await queryRunner.query(`
      INSERT INTO ab_test_assignment_counts (ab_test_id, split_version, variant, shard, count)
        SELECT ab_test_id, split_version, variant, 0, count(*) FROM ab_test_assignments GROUP BY 1, 2, 3`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER ab_test_assignments_count_delete ON ab_test_assignments`);
    await queryRunner.query(`DROP TRIGGER ab_test_assignments_count_insert ON ab_test_assignments`);
    await queryRunner.query(`DROP FUNCTION ab_test_assignments_count_deleted()`);
    await queryRunner.query(`DROP FUNCTION ab_test_assignments_count_inserted()`);
    await queryRunner.query(`DROP TABLE ab_test_assignment_counts`);
  }
}
