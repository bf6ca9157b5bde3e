import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Variant } from '../../../common/variant.js';

/** The sticky fact that a user gets a variant of a test; unique per (test, user). */
@Entity({ name: 'ab_test_assignments' })
export class AbTestAssignment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'ab_test_id' })
  abTestId: string;

  @Column('varchar', { name: 'user_id', length: 255 })
  userId: string;

  @Column({ type: 'enum', enum: ['a', 'b'], enumName: 'ab_test_variant' })
  variant: Variant;

  /** The test's split_version when the assignment was made. */
  @Column('integer', { name: 'split_version' })
  splitVersion: number;

  @Column('timestamptz', { name: 'assigned_at', default: () => 'now()' })
  assignedAt: Date;
}
