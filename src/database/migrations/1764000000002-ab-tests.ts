import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A/B tests, their sticky assignments and their audit log.
 *
 * - `ab_tests_one_running_per_model_type`: at most one active or paused test per model type, so
 *   assignment is never ambiguous. The lifecycle service checks first (for a message naming the
 *   other test); this index is what makes two concurrent starts unable to both win.
 * - `ab_test_assignments.split_version`: which traffic split was in force when the user was
 *   assigned (`ab_tests.split_history` keeps every split), so the sample-ratio check counts each
 *   assignment against the split it was made under after a ramp.
 * - `ab_tests.metrics` is the metrics module's denormalised summary (frozen at completion); the
 *   custom metrics a test declares live in `metric_definitions`.
 */
export class AbTests1764000000002 implements MigrationInterface {
  name = 'AbTests1764000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE ab_test_status AS ENUM ('draft', 'active', 'paused', 'completed')`);
    await queryRunner.query(`CREATE TYPE ab_test_variant AS ENUM ('a', 'b')`);
    await queryRunner.query(`
      CREATE TABLE ab_tests (
        id uuid PRIMARY KEY,
        name varchar(200) NOT NULL,
        description text NULL,
        model_type varchar(63) NOT NULL,
        variant_a varchar(128) NOT NULL,
        variant_b varchar(128) NOT NULL,
        traffic_split jsonb NOT NULL,
        split_version integer NOT NULL DEFAULT 1,
        split_history jsonb NOT NULL DEFAULT '[]',
        status ab_test_status NOT NULL DEFAULT 'draft',
        criteria jsonb NOT NULL DEFAULT '{}',
        hash_seed varchar(200) NOT NULL,
        metric_definitions jsonb NOT NULL DEFAULT '[]',
        auto_pause boolean NOT NULL DEFAULT false,
        metrics jsonb NULL,
        winner ab_test_variant NULL,
        notes text NULL,
        start_date timestamptz NULL,
        end_date timestamptz NULL,
        created_by varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ab_tests_model_type_fkey FOREIGN KEY (model_type) REFERENCES models (name) ON DELETE RESTRICT,
        CONSTRAINT ab_tests_distinct_variants CHECK (variant_a <> variant_b),
        CONSTRAINT ab_tests_winner_only_when_completed CHECK (winner IS NULL OR status = 'completed')
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX ab_tests_one_running_per_model_type ON ab_tests (model_type) WHERE status IN ('active', 'paused')`);
    await queryRunner.query(`CREATE INDEX ab_tests_model_type_created_idx ON ab_tests (model_type, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX ab_tests_status_created_idx ON ab_tests (status, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX ab_tests_created_idx ON ab_tests (created_at DESC)`);

    await queryRunner.query(`
      CREATE TABLE ab_test_assignments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ab_test_id uuid NOT NULL REFERENCES ab_tests (id) ON DELETE CASCADE,
        user_id varchar(255) NOT NULL,
        variant ab_test_variant NOT NULL,
        split_version integer NOT NULL,
        assigned_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ab_test_assignments_test_user_key UNIQUE (ab_test_id, user_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE ab_test_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        ab_test_id uuid NOT NULL REFERENCES ab_tests (id) ON DELETE CASCADE,
        action varchar(40) NOT NULL,
        actor varchar(255) NOT NULL,
        before jsonb NULL,
        after jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX ab_test_events_test_idx ON ab_test_events (ab_test_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ab_test_events`);
    await queryRunner.query(`DROP TABLE ab_test_assignments`);
    await queryRunner.query(`DROP TABLE ab_tests`);
    await queryRunner.query(`DROP TYPE ab_test_variant`);
    await queryRunner.query(`DROP TYPE ab_test_status`);
  }
}
