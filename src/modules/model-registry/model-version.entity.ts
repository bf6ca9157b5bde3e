import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { ModelEntity } from './model.entity.js';
import { STAGES, type Stage } from './stage-rules.js';

/** pg returns bigint as a string; artifact sizes fit a double exactly (< 2^53). */
export const bigintAsNumber = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/** One registered model version: the `model_versions` table. */
@Entity({ name: 'model_versions' })
@Unique('uq_model_versions_type_version', ['modelType', 'version'])
@Index('uq_model_versions_one_production', ['modelType'], { unique: true, where: `"stage" = 'production'` })
@Index('idx_model_versions_type_created', ['modelType', 'createdAt'])
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_model_versions' })
  id: string;

  @Column({ name: 'model_type', type: 'varchar', length: 63 })
  modelType: string;

  @ManyToOne(() => ModelEntity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'model_type', referencedColumnName: 'name', foreignKeyConstraintName: 'fk_model_versions_model' })
  model?: ModelEntity;

  /** Canonical semantic version with the leading v (`v2.0.0`). */
  @Column({ type: 'varchar', length: 128 })
  version: string;

  @Column({ type: 'varchar', length: 16 })
  format: string;

  @Column({ name: 'artifact_uri', type: 'text' })
  artifactUri: string;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ name: 'size_bytes', type: 'bigint', transformer: bigintAsNumber })
  sizeBytes: number;

  /** Declared signature and provenance: labels, featurizer, tensor names, held-out metrics… */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: Record<string, unknown>;

  @Column({ type: 'enum', enum: STAGES, enumName: 'model_version_stage', default: 'none' })
  stage: Stage;

  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
