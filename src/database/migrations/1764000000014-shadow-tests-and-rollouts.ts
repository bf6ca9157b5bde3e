import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shadow tests and guarded progressive rollouts (docs/adr/0007-rollout-scheduler.md).
 *
 * - `ab_tests.mode`: `ab` (the seed's A/B test) or `shadow` (everyone is served a; b runs on a
 *   sampled share of the same inputs off the request path). `shadow_sample_rate` is that share.
 *   `source_test_id` links an A/B test to the shadow test it graduated from.
 * - `shadow_comparisons`: one row per (test, label of a, label of b) with how many compared
 *   requests fell in that cell and both models' latency sketches (same layout as the metric
 *   sketches, merged with metric_sketch_merge). `shadow_counters`: b's failures and the
 *   comparisons dropped because the in-process queue was full. Both are added to with
 *   `x = x + excluded.x`, like the metric aggregates.
 * - `shadow_disagreements`: the latest sampled disagreements for review (input redacted and
 *   truncated); the writer keeps at most 1,000 per test.
 * - `ab_test_rollouts`: a test's rollout plan and where it stands. The scheduler of every instance
 *   reads due rows; the one that takes the row lock (after a per-test advisory lock) acts.
 */
export class ShadowTestsAndRollouts1764000000014 implements MigrationInterface {
  name = 'ShadowTestsAndRollouts1764000000014';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE ab_tests
        ADD COLUMN mode varchar(10) NOT NULL DEFAULT 'ab',
        ADD COLUMN shadow_sample_rate double precision NULL,
        ADD COLUMN source_test_id uuid NULL REFERENCES ab_tests (id) ON DELETE SET NULL,
        ADD CONSTRAINT ab_tests_mode_check CHECK (mode IN ('ab', 'shadow')),
        ADD CONSTRAINT ab_tests_shadow_sample_rate_check CHECK (
          (mode = 'shadow' AND shadow_sample_rate > 0 AND shadow_sample_rate <= 1) OR (mode = 'ab' AND shadow_sample_rate IS NULL))`);

    await queryRunner.query(`
      CREATE TABLE shadow_comparisons (
        ab_test_id uuid NOT NULL REFERENCES ab_tests (id) ON DELETE CASCADE,
        label_a varchar(100) NOT NULL,
        label_b varchar(100) NOT NULL,
        count bigint NOT NULL DEFAULT 0,
        latency_a jsonb NULL,
        latency_b jsonb NULL,
        CONSTRAINT shadow_comparisons_pkey PRIMARY KEY (ab_test_id, label_a, label_b)
      )`);
    await queryRunner.query(`
      CREATE TABLE shadow_counters (
        ab_test_id uuid PRIMARY KEY REFERENCES ab_tests (id) ON DELETE CASCADE,
        errors_b bigint NOT NULL DEFAULT 0,
        dropped bigint NOT NULL DEFAULT 0
      )`);
    await queryRunner.query(`
      CREATE TABLE shadow_disagreements (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        ab_test_id uuid NOT NULL REFERENCES ab_tests (id) ON DELETE CASCADE,
        label_a varchar(100) NOT NULL,
        label_b varchar(100) NOT NULL,
        score_a double precision NULL,
        score_b double precision NULL,
        version_a varchar(128) NOT NULL,
        version_b varchar(128) NOT NULL,
        input text NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX shadow_disagreements_test_idx ON shadow_disagreements (ab_test_id, id DESC)`);

    await queryRunner.query(`
      CREATE TABLE ab_test_rollouts (
        ab_test_id uuid PRIMARY KEY REFERENCES ab_tests (id) ON DELETE CASCADE,
        steps jsonb NOT NULL,
        step_min_seconds integer NOT NULL,
        step_min_requests integer NOT NULL,
        auto_complete boolean NOT NULL DEFAULT false,
        current_step integer NOT NULL DEFAULT 0,
        state varchar(20) NOT NULL DEFAULT 'ramping',
        step_started_at timestamptz NULL,
        next_check_at timestamptz NULL,
        step_baseline jsonb NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ab_test_rollouts_state_check CHECK (state IN ('ramping', 'holding', 'rolled_back', 'done'))
      )`);
    await queryRunner.query(`CREATE INDEX ab_test_rollouts_due_idx ON ab_test_rollouts (next_check_at) WHERE state IN ('ramping', 'holding')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ab_test_rollouts`);
    await queryRunner.query(`DROP TABLE shadow_disagreements`);
    await queryRunner.query(`DROP TABLE shadow_counters`);
    await queryRunner.query(`DROP TABLE shadow_comparisons`);
    await queryRunner.query(`
      ALTER TABLE ab_tests DROP CONSTRAINT ab_tests_shadow_sample_rate_check, DROP CONSTRAINT ab_tests_mode_check,
        DROP COLUMN source_test_id, DROP COLUMN shadow_sample_rate, DROP COLUMN mode`);
  }
}
