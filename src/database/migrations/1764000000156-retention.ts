import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bounded data (RetentionJob): indexes the retention deletes range-scan, and the record of the
 * last run that keeps N instances from repeating it.
 *
 * - BRIN on the time columns: these tables are appended to in time order, so a block-range index
 *   of a few pages finds old rows, and costs the hot inserts next to nothing (a btree on
 *   predictions.created_at would add an index insert to every prediction).
 * - `maintenance_runs`: one row per job with when it last finished and what it deleted.
 */
export class Retention1764000000156 implements MigrationInterface {
  name = 'Retention1764000000156';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX metric_aggregates_bucket_start_brin ON metric_aggregates USING brin (bucket_start) WITH (autosummarize = on)`);
    await queryRunner.query(`CREATE INDEX predictions_created_at_brin ON predictions USING brin (created_at) WITH (autosummarize = on)`);
    await queryRunner.query(`CREATE INDEX messages_created_at_brin ON messages USING brin (created_at) WITH (autosummarize = on)`);
    await queryRunner.query(`
      CREATE TABLE maintenance_runs (
        job text PRIMARY KEY,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        summary jsonb NOT NULL DEFAULT '{}'
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE maintenance_runs`);
    await queryRunner.query(`DROP INDEX messages_created_at_brin`);
    await queryRunner.query(`DROP INDEX predictions_created_at_brin`);
    await queryRunner.query(`DROP INDEX metric_aggregates_bucket_start_brin`);
  }
}
