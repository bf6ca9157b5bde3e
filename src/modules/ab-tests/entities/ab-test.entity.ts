import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TrafficSplit } from '../assignment/bucketing.js';
import type { AbTestStatus } from '../lifecycle/lifecycle.js';
import type { Variant } from '../../../common/variant.js';

/**
 * A jsonb object column. Typed as `object` rather than Record<string, unknown>: TypeORM's deep
 * partial types cannot map `unknown` values (and recurse without end on a recursive JSON type).
 */
export type JsonObject = object;

/** Thresholds declared on a test; evaluated by the metrics module's results. */
export interface AbTestCriteria {
  min_requests?: number;
  max_error_rate?: number;
  max_latency_ms?: number;
  min_improvement?: number;
  /** Shadow tests: the least share of compared requests on which b must agree with a. */
  min_agreement?: number;
}

/** `ab`: users are split between a and b. `shadow`: everyone is served a; b runs on sampled inputs, unseen. */
export type AbTestMode = 'ab' | 'shadow';
export const AB_TEST_MODES: readonly AbTestMode[] = ['ab', 'shadow'];

/** A custom metric the test declares, so results know which direction is better. */
export interface MetricDefinition {
  name: string;
  higher_is_better: boolean;
}

/** One traffic split the test has had; assignments point at it through `split_version`. */
export interface SplitHistoryEntry {
  version: number;
  a: number;
  b: number;
  /** When this split came into force (ISO time). */
  since: string;
}

@Entity({ name: 'ab_tests' })
export class AbTest {
  @PrimaryColumn('uuid')
  id: string;

  @Column('varchar', { length: 200 })
  name: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('varchar', { name: 'model_type', length: 63 })
  modelType: string;

  @Column('varchar', { name: 'variant_a', length: 128 })
  variantA: string;

  @Column('varchar', { name: 'variant_b', length: 128 })
  variantB: string;

  @Column('jsonb', { name: 'traffic_split' })
  trafficSplit: TrafficSplit;

  @Column('integer', { name: 'split_version', default: 1 })
  splitVersion: number;

  @Column('jsonb', { name: 'split_history', default: () => "'[]'" })
  splitHistory: SplitHistoryEntry[];

  @Column({ type: 'enum', enum: ['draft', 'active', 'paused', 'completed'], enumName: 'ab_test_status', default: 'draft' })
  status: AbTestStatus;

  @Column('jsonb', { default: () => "'{}'" })
  criteria: AbTestCriteria;

  @Column('varchar', { name: 'hash_seed', length: 200 })
  hashSeed: string;

  @Column('jsonb', { name: 'metric_definitions', default: () => "'[]'" })
  metricDefinitions: MetricDefinition[];

  @Column('boolean', { name: 'auto_pause', default: false })
  autoPause: boolean;

  @Column('varchar', { length: 10, default: 'ab' })
  mode: AbTestMode;

  /** Shadow tests: the share of a's requests b also runs on (0 < r ≤ 1); null for A/B tests. */
  @Column('double precision', { name: 'shadow_sample_rate', nullable: true })
  shadowSampleRate: number | null;

  /** The shadow test this A/B test graduated from, if any. */
  @Column('uuid', { name: 'source_test_id', nullable: true })
  sourceTestId: string | null;

  /** The metrics module's denormalised summary (frozen when the test completes); null until then. */
  @Column('jsonb', { nullable: true })
  metrics: JsonObject | null;

  @Column({ type: 'enum', enum: ['a', 'b'], enumName: 'ab_test_variant', nullable: true })
  winner: Variant | null;

  @Column('text', { nullable: true })
  notes: string | null;

  @Column('timestamptz', { name: 'start_date', nullable: true })
  startDate: Date | null;

  @Column('timestamptz', { name: 'end_date', nullable: true })
  endDate: Date | null;

  @Column('varchar', { name: 'created_by', length: 255 })
  createdBy: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
