import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Model artifacts in PostgreSQL, so app instances share nothing but the database
 * (docs/adr/0005-model-registry-artifacts.md, docs/scaling.md).
 *
 * - `model_artifacts`: one row per distinct content (sha256): the bytes are kept once however many
 *   versions use them; `chunks` chunks of `chunk_bytes` (the last one shorter).
 * - `model_artifact_chunks`: the bytes as bytea chunks (1 MiB), written in the transaction that
 *   inserts the header row, so a header is never visible without all its chunks.
 * - STORAGE EXTERNAL: ONNX weights barely compress; out-of-line without compression makes reads a
 *   plain copy.
 * Files of the former DATA_DIR file store are moved in at start (PostgresArtifactStore.importLegacyFiles).
 */
export class ModelArtifactsInPostgres1764000000155 implements MigrationInterface {
  name = 'ModelArtifactsInPostgres1764000000155';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE model_artifacts (
        sha256 char(64) PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
        chunk_bytes integer NOT NULL CHECK (chunk_bytes > 0),
        chunks integer NOT NULL CHECK (chunks >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE model_artifact_chunks (
        sha256 char(64) NOT NULL REFERENCES model_artifacts (sha256) ON DELETE CASCADE,
        seq integer NOT NULL CHECK (seq >= 0),
        data bytea NOT NULL,
        CONSTRAINT model_artifact_chunks_pkey PRIMARY KEY (sha256, seq)
      )`);
    await queryRunner.query(`ALTER TABLE model_artifact_chunks ALTER COLUMN data SET STORAGE EXTERNAL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE model_artifact_chunks`);
    await queryRunner.query(`DROP TABLE model_artifacts`);
  }
}
