import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AbTestEventAction } from '../lifecycle/lifecycle.js';
import type { JsonObject } from './ab-test.entity.js';

/** One audit-log entry: who changed what on a test, when, with the state before and after. */
@Entity({ name: 'ab_test_events' })
export class AbTestEvent {
  /** bigint identity: orders a test's events exactly, even when timestamps tie. Comes back as a string. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('uuid', { name: 'ab_test_id' })
  abTestId: string;

  @Column('varchar', { length: 40 })
  action: AbTestEventAction;

  @Column('varchar', { length: 255 })
  actor: string;

  @Column('jsonb', { nullable: true })
  before: JsonObject | null;

  @Column('jsonb', { nullable: true })
  after: JsonObject | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
