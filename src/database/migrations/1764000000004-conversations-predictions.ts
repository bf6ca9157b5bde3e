import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Predictions made by the safety and intent classifiers (with the A/B test and variant that made
 * them, so delayed feedback is credited to the right arm), and the conversations the chat endpoint
 * stores. No foreign key to ab_tests: a prediction is a fact about the past and the hot path
 * should not pay for a key check on every insert.
 */
export class ConversationsPredictions1764000000004 implements MigrationInterface {
  name = 'ConversationsPredictions1764000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE predictions (
        id uuid PRIMARY KEY,
        ab_test_id uuid NULL,
        variant char(1) NULL CHECK (variant IN ('a', 'b')),
        model_type varchar(63) NOT NULL,
        model_version varchar(100) NOT NULL,
        user_id varchar(255) NOT NULL,
        label varchar(200) NOT NULL,
        score double precision NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        feedback_correct boolean NULL,
        feedback_label varchar(200) NULL,
        feedback_at timestamptz NULL,
        feedback_by varchar(255) NULL,
        CONSTRAINT predictions_variant_with_test CHECK ((ab_test_id IS NULL) = (variant IS NULL)),
        CONSTRAINT predictions_feedback_complete CHECK ((feedback_at IS NULL) = (feedback_correct IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX predictions_ab_test_variant_idx ON predictions (ab_test_id, variant)`);
    await queryRunner.query(`CREATE INDEX predictions_user_created_idx ON predictions (user_id, created_at)`);

    await queryRunner.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX conversations_user_idx ON conversations (user_id, updated_at)`);

    await queryRunner.query(`CREATE TYPE message_role AS ENUM ('user', 'assistant')`);
    await queryRunner.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- Orders a conversation's history exactly (timestamps can tie within one insert).
        seq bigint GENERATED ALWAYS AS IDENTITY,
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role message_role NOT NULL,
        text text NOT NULL,
        intent varchar(200) NULL,
        confidence double precision NULL,
        safety jsonb NULL,
        model_versions jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, seq)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TYPE message_role`);
    await queryRunner.query(`DROP TABLE conversations`);
    await queryRunner.query(`DROP TABLE predictions`);
  }
}
