import { ApiProperty } from '@nestjs/swagger';
import { AB_TEST_MODES, type AbTest, type AbTestMode } from '../entities/ab-test.entity.js';
import { ROLLOUT_STATES, type Rollout, type RolloutState } from '../rollout/rollout.store.js';
import { AB_TEST_STATUSES, type AbTestStatus } from '../lifecycle/lifecycle.js';
import type { AbTestMetricsSummary, VariantMetricsSummary } from '../metrics-ports.js';
import { CriteriaDto, MetricDefinitionDto } from './create-ab-test.dto.js';
import { TrafficSplitDto } from './traffic-split.dto.js';
import type { Variant } from '../../../common/variant.js';

export class AbTestResponse {
  @ApiProperty({ format: 'uuid' })
  test_id: string;

  @ApiProperty({ example: 'Safety Classifier v2 Test' })
  name: string;

  @ApiProperty({ nullable: true, type: String })
  description: string | null;

  @ApiProperty({ example: 'safety_classifier' })
  model_type: string;

  @ApiProperty({ example: 'v1.0.0' })
  variant_a: string;

  @ApiProperty({ example: 'v2.0.0' })
  variant_b: string;

  @ApiProperty({ type: TrafficSplitDto })
  traffic_split: { a: number; b: number };

  @ApiProperty({ example: 1, description: 'Incremented by every traffic-split change; each assignment records the version it was made under' })
  split_version: number;

  @ApiProperty({ enum: AB_TEST_STATUSES, example: 'draft' })
  status: AbTestStatus;

  @ApiProperty({ type: CriteriaDto })
  criteria: CriteriaDto;

  @ApiProperty({ example: '3f0c9a52-6a1e-4c8e-9d57-2b1f0e4a7c11' })
  hash_seed: string;

  @ApiProperty({ type: [MetricDefinitionDto], description: 'The custom metrics declared at creation (the request field `metrics`)' })
  metric_definitions: MetricDefinitionDto[];

  @ApiProperty({ example: false })
  auto_pause: boolean;

  @ApiProperty({ enum: AB_TEST_MODES, example: 'ab', description: '`ab`: users split between a and b; `shadow`: everyone is served a, b runs on sampled inputs unseen' })
  mode: AbTestMode;

  @ApiProperty({ nullable: true, type: Number, example: null, description: 'Shadow tests: the share of requests b also runs on; null for A/B tests' })
  shadow_sample_rate: number | null;

  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The shadow test this A/B test graduated from' })
  source_test_id: string | null;

  @ApiProperty({ enum: ['a', 'b'], nullable: true, type: String })
  winner: Variant | null;

  @ApiProperty({ nullable: true, type: String })
  notes: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  start_date: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  end_date: string | null;

  @ApiProperty({ example: 'alice' })
  created_by: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class VariantMetricsResponse implements VariantMetricsSummary {
  @ApiProperty({ example: 1000 })
  requests: number;

  @ApiProperty({ example: 5 })
  errors: number;

  @ApiProperty({ example: 0.005 })
  error_rate: number;

  @ApiProperty({ example: 120, nullable: true, type: Number, description: 'ms' })
  avg_latency: number | null;

  @ApiProperty({ example: 115, nullable: true, type: Number, description: 'ms' })
  p50_latency: number | null;

  @ApiProperty({ example: 170, nullable: true, type: Number, description: 'ms' })
  p95_latency: number | null;

  @ApiProperty({ example: 210, nullable: true, type: Number, description: 'ms' })
  p99_latency: number | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', properties: { count: { type: 'number' }, mean: { type: 'number', nullable: true } } },
    example: { accuracy: { count: 412, mean: 0.91 } },
    description: 'Custom metrics by name: how many values and their mean',
  })
  custom: Record<string, { count: number; mean: number | null }>;
}

export class AbTestMetricsResponse implements AbTestMetricsSummary {
  @ApiProperty({ type: VariantMetricsResponse })
  variant_a: VariantMetricsResponse;

  @ApiProperty({ type: VariantMetricsResponse })
  variant_b: VariantMetricsResponse;
}

export class AssignmentCountsResponse {
  @ApiProperty({ example: 1000 })
  variant_a: number;

  @ApiProperty({ example: 1000 })
  variant_b: number;

  @ApiProperty({ example: 2000 })
  total: number;
}

export class RolloutResponse {
  @ApiProperty({ type: [Number], example: [0.05, 0.1, 0.25, 0.5], description: "b's share at each step" })
  steps: number[];

  @ApiProperty({ example: 3600 })
  step_min_seconds: number;

  @ApiProperty({ example: 1000 })
  step_min_requests: number;

  @ApiProperty({ example: false })
  auto_complete: boolean;

  @ApiProperty({ example: 0, description: 'Index into steps of the step in force (after a rollback: the step at which it happened)' })
  current_step: number;

  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the current step began; null before the scheduler first saw the test active' })
  step_started_at: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the scheduler checks the rollout next; null when it is not waiting for a check' })
  next_check_at: string | null;

  @ApiProperty({
    enum: ROLLOUT_STATES,
    example: 'ramping',
    description: 'ramping: before the last step; holding: at the last step, waiting for a decision; rolled_back: a guardrail was breached (b at 0, test paused); done: the test completed',
  })
  state: RolloutState;
}

export class AbTestDetailResponse extends AbTestResponse {
  @ApiProperty({ type: RolloutResponse, nullable: true, description: 'The rollout plan and where it stands; null for a test without one' })
  rollout: RolloutResponse | null;

  @ApiProperty({ type: AbTestMetricsResponse, description: 'Per-variant request metrics (zeros until metrics are recorded)' })
  metrics: AbTestMetricsResponse;

  @ApiProperty({ type: AssignmentCountsResponse, description: 'Stored assignments per variant' })
  assignments: AssignmentCountsResponse;
}

export class AbTestPageResponse {
  @ApiProperty({ type: [AbTestResponse] })
  items: AbTestResponse[];

  @ApiProperty({ example: 1, description: 'How many tests match the filters' })
  total: number;

  @ApiProperty({ example: 50 })
  limit: number;

  @ApiProperty({ example: 0 })
  offset: number;
}

export interface AssignmentCounts {
  a: number;
  b: number;
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

export function toAbTestResponse(test: AbTest): AbTestResponse {
  return {
    test_id: test.id,
    name: test.name,
    description: test.description,
    model_type: test.modelType,
    variant_a: test.variantA,
    variant_b: test.variantB,
    traffic_split: { a: test.trafficSplit.a, b: test.trafficSplit.b },
    split_version: test.splitVersion,
    status: test.status,
    criteria: test.criteria,
    hash_seed: test.hashSeed,
    metric_definitions: test.metricDefinitions,
    auto_pause: test.autoPause,
    mode: test.mode,
    shadow_sample_rate: test.shadowSampleRate,
    source_test_id: test.sourceTestId,
    winner: test.winner,
    notes: test.notes,
    start_date: iso(test.startDate),
    end_date: iso(test.endDate),
    created_by: test.createdBy,
    created_at: test.createdAt.toISOString(),
    updated_at: test.updatedAt.toISOString(),
  };
}

export function toRolloutResponse(rollout: Rollout, testStatus: AbTest['status']): RolloutResponse {
  return {
    steps: rollout.steps,
    step_min_seconds: rollout.stepMinSeconds,
    step_min_requests: rollout.stepMinRequests,
    auto_complete: rollout.autoComplete,
    current_step: rollout.currentStep,
    step_started_at: iso(rollout.stepStartedAt),
    next_check_at: rollout.state === 'ramping' || rollout.state === 'holding' ? iso(rollout.nextCheckAt) : null,
    // A test completed by a person between two checks is done even before the scheduler notes it.
    state: testStatus === 'completed' && (rollout.state === 'ramping' || rollout.state === 'holding') ? 'done' : rollout.state,
  };
}

export function toAbTestDetailResponse(test: AbTest, metrics: AbTestMetricsSummary, assignments: AssignmentCounts, rollout: Rollout | null = null): AbTestDetailResponse {
  return {
    ...toAbTestResponse(test),
    rollout: rollout ? toRolloutResponse(rollout, test.status) : null,
    metrics,
    assignments: { variant_a: assignments.a, variant_b: assignments.b, total: assignments.a + assignments.b },
  };
}
