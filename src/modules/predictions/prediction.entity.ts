import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Variant } from '../../common/variant.js';

/** One classifier output served to a user; feedback on it later credits the variant that made it. */
@Entity({ name: 'predictions' })
export class PredictionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'ab_test_id', type: 'uuid', nullable: true })
  abTestId: string | null;

  @Column({ type: 'char', length: 1, nullable: true })
  variant: Variant | null;

  @Column({ name: 'model_type', type: 'varchar', length: 63 })
  modelType: string;

  @Column({ name: 'model_version', type: 'varchar', length: 100 })
  modelVersion: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: string;

  @Column({ type: 'varchar', length: 200 })
  label: string;

  @Column({ type: 'double precision' })
  score: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'feedback_correct', type: 'boolean', nullable: true })
  feedbackCorrect: boolean | null;

  @Column({ name: 'feedback_label', type: 'varchar', length: 200, nullable: true })
  feedbackLabel: string | null;

  @Column({ name: 'feedback_at', type: 'timestamptz', nullable: true })
  feedbackAt: Date | null;

  @Column({ name: 'feedback_by', type: 'varchar', length: 255, nullable: true })
  feedbackBy: string | null;
}
