import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ab_test_assignments` is keyed by what identifies an assignment, (ab_test_id, user_id), instead
 * of its random `id`.
 *
 * The unique (ab_test_id, user_id) index, which every insert probes anyway (ON CONFLICT) and every
 * read uses, becomes the primary key; the primary-key index on `id` goes. A random-UUID b-tree is
 * the costliest index a write-heavy table can have: each new row lands on a random leaf page, so
 * once the index outgrows memory every insert reads and dirties a page of its own (and the first
 * write of a page after a checkpoint logs the whole page). Dropping it measured ~5 µs of
 * PostgreSQL CPU less per new user on a small table (bench/assign, docs/scaling.md).
 *
 * `id` stays, filled by gen_random_uuid() as before (the seed document's schema has it); nothing
 * looks assignments up by it.
 *
 * The unique constraint's index cannot be adopted as the primary key (it belongs to the
 * constraint), so the key's index is built anew: the table is locked for that build, about a
 * second per million assignments on the bench machine.
 */
export class AssignmentNaturalKey1764000000158 implements MigrationInterface {
  name = 'AssignmentNaturalKey1764000000158';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE ab_test_assignments
        DROP CONSTRAINT ab_test_assignments_pkey,
        DROP CONSTRAINT ab_test_assignments_test_user_key,
        ADD CONSTRAINT ab_test_assignments_pkey PRIMARY KEY (ab_test_id, user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE ab_test_assignments
        DROP CONSTRAINT ab_test_assignments_pkey,
        ADD CONSTRAINT ab_test_assignments_pkey PRIMARY KEY (id),
        ADD CONSTRAINT ab_test_assignments_test_user_key UNIQUE (ab_test_id, user_id)`);
  }
}
