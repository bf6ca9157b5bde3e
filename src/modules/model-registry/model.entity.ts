import { Check, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A model type (e.g. `safety_classifier`): the `models` table. */
@Entity({ name: 'models' })
@Check('chk_models_name_slug', `"name" ~ '^[a-z][a-z0-9_]{1,62}$'`)
export class ModelEntity {
  @PrimaryColumn({ type: 'varchar', length: 63, primaryKeyConstraintName: 'pk_models' })
  name: string;

  @Column({ type: 'varchar', length: 100 })
  task: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  labels: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
