import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Model types, their versions (at most one in production per type) and the history of stage changes. */
export class ModelRegistry1764000000001 implements MigrationInterface {
  name = 'ModelRegistry1764000000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "models" ("name" character varying(63) NOT NULL, "task" character varying(100) NOT NULL, "description" text, "labels" jsonb NOT NULL DEFAULT '[]', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_models" PRIMARY KEY ("name"), CONSTRAINT "chk_models_name_slug" CHECK ("name" ~ '^[a-z][a-z0-9_]{1,62}$'))`,
    );
    await queryRunner.query(`CREATE TYPE "public"."model_version_stage" AS ENUM('none', 'staging', 'production', 'archived')`);
    await queryRunner.query(
      `CREATE TABLE "model_versions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "model_type" character varying(63) NOT NULL, "version" character varying(128) NOT NULL, "format" character varying(16) NOT NULL, "artifact_uri" text NOT NULL, "sha256" character(64) NOT NULL, "size_bytes" bigint NOT NULL, "metadata" jsonb NOT NULL DEFAULT '{}', "stage" "public"."model_version_stage" NOT NULL DEFAULT 'none', "created_by" character varying(255) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_model_versions_type_version" UNIQUE ("model_type", "version"), CONSTRAINT "pk_model_versions" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_model_versions_one_production" ON "model_versions" ("model_type") WHERE "stage" = 'production'`);
    await queryRunner.query(`CREATE INDEX "idx_model_versions_type_created" ON "model_versions" ("model_type", "created_at") `);
    await queryRunner.query(
      `ALTER TABLE "model_versions" ADD CONSTRAINT "fk_model_versions_model" FOREIGN KEY ("model_type") REFERENCES "models"("name") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "model_version_stage_changes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "model_version_id" uuid NOT NULL, "from_stage" "public"."model_version_stage" NOT NULL, "to_stage" "public"."model_version_stage" NOT NULL, "changed_by" character varying(255) NOT NULL, "reason" text, "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_model_version_stage_changes" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_stage_changes_version" ON "model_version_stage_changes" ("model_version_id", "changed_at") `);
    await queryRunner.query(
      `ALTER TABLE "model_version_stage_changes" ADD CONSTRAINT "fk_stage_changes_model_version" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "model_version_stage_changes" DROP CONSTRAINT "fk_stage_changes_model_version"`);
    await queryRunner.query(`DROP INDEX "public"."idx_stage_changes_version"`);
    await queryRunner.query(`DROP TABLE "model_version_stage_changes"`);
    await queryRunner.query(`ALTER TABLE "model_versions" DROP CONSTRAINT "fk_model_versions_model"`);
    await queryRunner.query(`DROP INDEX "public"."idx_model_versions_type_created"`);
    await queryRunner.query(`DROP INDEX "public"."uq_model_versions_one_production"`);
    await queryRunner.query(`DROP TABLE "model_versions"`);
    await queryRunner.query(`DROP TYPE "public"."model_version_stage"`);
    await queryRunner.query(`DROP TABLE "models"`);
  }
}
