import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Variant } from '../../../common/variant.js';

/** The sticky fact that a user gets a variant of a test; keyed by (test, user). */
@Entity({ name: 'ab_test_assignments' })
export class AbTestAssignment {
  /** A random id (the seed document's column); the key is (abTestId, userId). */
  @Column('uuid', { default: () => 'gen_random_uuid()' })
  id: string;

  @PrimaryColumn('uuid', { name: 'ab_test_id' })
  abTestId: string;

  @PrimaryColumn('varchar', { name: 'user_id', length: 255 })
  userId: string;

  @Column({ type: 'enum', enum: ['a', 'b'], enumName: 'ab_test_variant' })
  variant: Variant;

  /** The test's split_version when the assignment was made. */
  @Column('integer', { name: 'split_version' })
  splitVersion: number;

  @Column('timestamptz', { name: 'assigned_at', default: () => 'now()' })
  assignedAt: Date;
}
