import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ModelVersionEntity } from './model-version.entity.js';
import { STAGES, type Stage } from './stage-rules.js';

/** The history of stages: one row per change, who made it and when. */
@Entity({ name: 'model_version_stage_changes' })
@Index('idx_stage_changes_version', ['modelVersionId', 'changedAt'])
export class ModelVersionStageChangeEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_model_version_stage_changes' })
  id: string;

  @Column({ name: 'model_version_id', type: 'uuid' })
  modelVersionId: string;

  @ManyToOne(() => ModelVersionEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'model_version_id', foreignKeyConstraintName: 'fk_stage_changes_model_version' })
  modelVersion?: ModelVersionEntity;

  @Column({ name: 'from_stage', type: 'enum', enum: STAGES, enumName: 'model_version_stage' })
  fromStage: Stage;

  @Column({ name: 'to_stage', type: 'enum', enum: STAGES, enumName: 'model_version_stage' })
  toStage: Stage;

  /** The `sub` of the token that made the change (or `system`). */
  @Column({ name: 'changed_by', type: 'varchar', length: 255 })
  changedBy: string;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @CreateDateColumn({ name: 'changed_at', type: 'timestamptz' })
  changedAt: Date;
}
