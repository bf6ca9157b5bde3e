import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { AbTestResults } from '../shadow/shadow-results.js';
import { AB_TEST_STATUSES } from '../lifecycle/lifecycle.js';

/*
 * The results contract (DESIGN.md, "Results contract") as OpenAPI. The document is computed by
 * computeResults in snake_case already; these classes only describe it.
 */

export class VariantSharesResponse {
  @ApiProperty({ example: 0.5 })
  a: number;

  @ApiProperty({ example: 0.5 })
  b: number;
}

export class VariantCountsResponse {
  @ApiProperty({ example: 1000 })
  a: number;

  @ApiProperty({ example: 1012 })
  b: number;
}

export class SampleRatioResponse {
  @ApiProperty({ type: VariantSharesResponse, description: 'Expected share of assignments per variant, each assignment counted against the split in force when it was made' })
  expected: VariantSharesResponse;

  @ApiProperty({ type: VariantCountsResponse, description: 'Stored assignments per variant' })
  observed: VariantCountsResponse;

  @ApiProperty({ example: 0.0716, nullable: true, type: Number })
  chi_square: number | null;

  @ApiProperty({ example: 0.789, nullable: true, type: Number })
  p_value: number | null;

  @ApiProperty({ example: false, description: 'p_value < 0.001: the assignment ratio does not match the split (the data cannot be trusted)' })
  mismatch: boolean;
}

export class ArmSummaryResponse {
  @ApiProperty({ example: 1000, description: 'Requests (error_rate) or observations (latency_ms, custom)' })
  n: number;

  @ApiProperty({ example: 0.005, nullable: true, type: Number, description: 'Error rate, or the mean' })
  mean: number | null;

  @ApiPropertyOptional({ example: 30.2, nullable: true, type: Number, description: 'Sample standard deviation (n − 1); mean metrics only' })
  std_dev?: number | null;

  @ApiPropertyOptional({ example: 115, nullable: true, type: Number, description: 'latency_ms only, from the sketch (±1%)' })
  p50?: number | null;

  @ApiPropertyOptional({ example: 170, nullable: true, type: Number, description: 'latency_ms only' })
  p95?: number | null;

  @ApiPropertyOptional({ example: 210, nullable: true, type: Number, description: 'latency_ms only' })
  p99?: number | null;
}

export class MetricResultResponse {
  @ApiProperty({ example: 'error_rate', description: '`error_rate`, `latency_ms` or `custom:<name>`' })
  name: string;

  @ApiProperty({ enum: ['proportion', 'mean'], example: 'proportion' })
  kind: 'proportion' | 'mean';

  @ApiProperty({ example: false })
  higher_is_better: boolean;

  @ApiProperty({ type: ArmSummaryResponse, description: 'Control' })
  a: ArmSummaryResponse;

  @ApiProperty({ type: ArmSummaryResponse, description: 'Treatment' })
  b: ArmSummaryResponse;

  @ApiProperty({ example: -0.002, nullable: true, type: Number, description: 'b − a; this and the fields below are null when an arm has n < 2' })
  difference: number | null;

  @ApiProperty({ example: -0.4, nullable: true, type: Number, description: '(b − a) / a; null when a is 0' })
  relative_difference: number | null;

  @ApiProperty({ example: [-0.0077, 0.0037], nullable: true, type: [Number], description: '95% CI on b − a (Wald for error rate, Welch for means)' })
  ci95: [number, number] | null;

  @ApiProperty({ example: 0.47, nullable: true, type: Number, description: 'Fixed-horizon two-sided p-value (pooled z-test or Welch t-test): valid for one planned look' })
  p_value: number | null;

  @ApiProperty({ example: 1, nullable: true, type: Number, description: 'Always-valid mSPRT p-value: valid however often the results are read' })
  sequential_p_value: number | null;

  @ApiProperty({ example: 0.76, nullable: true, type: Number })
  probability_b_better: number | null;

  @ApiProperty({ example: false, description: 'sequential_p_value < 0.05' })
  significant: boolean;
}

export class ImprovementObservationResponse {
  @ApiProperty({ example: 'custom:accuracy', description: 'The primary metric' })
  metric: string;

  @ApiProperty({ example: 0.79, nullable: true, type: Number })
  a: number | null;

  @ApiProperty({ example: 0.83, nullable: true, type: Number })
  b: number | null;

  @ApiProperty({ example: 0.049, nullable: true, type: Number, description: "b's relative improvement (positive = b better)" })
  improvement: number | null;
}

abstract class CriterionResultBase {
  @ApiProperty({ example: 10000, description: 'The threshold the test declared' })
  threshold: number;

  @ApiProperty({ example: false, description: 'Whether the observed value meets the threshold (never before data)' })
  met: boolean;
}

export class MinRequestsCriterionResponse extends CriterionResultBase {
  @ApiProperty({ enum: ['min_requests'], example: 'min_requests' })
  name: 'min_requests';

  @ApiProperty({ type: VariantCountsResponse, description: 'Requests per variant (shadow tests: comparisons)' })
  observed: VariantCountsResponse;
}

export class MinAgreementCriterionResponse extends CriterionResultBase {
  @ApiProperty({ enum: ['min_agreement'], example: 'min_agreement' })
  name: 'min_agreement';

  @ApiProperty({ type: Number, nullable: true, example: 0.93, description: 'Shadow tests: the agreement rate of b with a (null before data)' })
  observed: number | null;
}

export class MaxErrorRateCriterionResponse extends CriterionResultBase {
  @ApiProperty({ enum: ['max_error_rate'], example: 'max_error_rate' })
  name: 'max_error_rate';

  @ApiProperty({ type: Number, nullable: true, example: 0.004, description: 'b’s error rate (null before b’s first request)' })
  observed: number | null;
}

export class MaxLatencyCriterionResponse extends CriterionResultBase {
  @ApiProperty({ enum: ['max_latency_ms'], example: 'max_latency_ms' })
  name: 'max_latency_ms';

  @ApiProperty({ type: Number, nullable: true, example: 170, description: 'b’s p95 latency in ms (null before b’s first latency)' })
  observed: number | null;
}

export class MinImprovementCriterionResponse extends CriterionResultBase {
  @ApiProperty({ enum: ['min_improvement'], example: 'min_improvement' })
  name: 'min_improvement';

  @ApiProperty({ type: ImprovementObservationResponse, description: 'The primary metric’s means and b’s improvement on it' })
  observed: ImprovementObservationResponse;
}

export type CriterionResultResponse =
  | MinRequestsCriterionResponse
  | MaxErrorRateCriterionResponse
  | MaxLatencyCriterionResponse
  | MinImprovementCriterionResponse
  | MinAgreementCriterionResponse;

export const CRITERION_RESULT_MODELS = [
  MinRequestsCriterionResponse,
  MaxErrorRateCriterionResponse,
  MaxLatencyCriterionResponse,
  MinImprovementCriterionResponse,
  MinAgreementCriterionResponse,
];

export class RecommendationResponse {
  @ApiProperty({
    enum: ['keep_running', 'ship_b', 'keep_a', 'no_difference', 'stop_guardrail', 'ready_for_ab', 'keep_shadowing'],
    example: 'keep_running',
    description: 'A/B tests: keep_running, ship_b, keep_a, no_difference or stop_guardrail. Shadow tests: ready_for_ab, keep_shadowing or stop_guardrail.',
  })
  decision: 'keep_running' | 'ship_b' | 'keep_a' | 'no_difference' | 'stop_guardrail' | 'ready_for_ab' | 'keep_shadowing';

  @ApiProperty({ type: [String], example: ['min_requests not reached: 1000 of 10000 in a'] })
  reasons: string[];
}

export class AgreementResponse {
  @ApiProperty({ example: 0.93, nullable: true, type: Number, description: 'Share of compared requests on which b gave the same label as a' })
  rate: number | null;

  @ApiProperty({ example: [0.91, 0.95], nullable: true, type: [Number], description: 'Wilson score 95% interval' })
  ci95: [number, number] | null;
}

export class QuantilesResponse {
  @ApiProperty({ example: 0.21, nullable: true, type: Number })
  p50: number | null;

  @ApiProperty({ example: 0.4, nullable: true, type: Number })
  p95: number | null;

  @ApiProperty({ example: 0.9, nullable: true, type: Number })
  p99: number | null;
}

export class ShadowLatencyResponse {
  @ApiProperty({ type: QuantilesResponse, description: "a's inference latency on the compared requests (ms, ±1%)" })
  a: QuantilesResponse;

  @ApiProperty({ type: QuantilesResponse, description: "b's inference latency on the same requests (ms, ±1%)" })
  b: QuantilesResponse;
}

export class ShadowErrorsResponse {
  @ApiProperty({ example: 0, description: "b's failed runs (never seen by users)" })
  n: number;

  @ApiProperty({ example: 0, nullable: true, type: Number, description: 'n / (compared + n)' })
  rate: number | null;
}

export class ShadowSectionResponse {
  @ApiProperty({ example: 5000, description: 'Requests both a and b answered; the confusion counts sum to this' })
  compared: number;

  @ApiProperty({ example: 0, description: 'Sampled requests not compared because the in-process queue was full' })
  dropped: number;

  @ApiProperty({ type: AgreementResponse })
  agreement: AgreementResponse;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
    example: { safe: { safe: 4100, toxic: 12 }, toxic: { safe: 30, toxic: 858 } },
    description: "label of a → label of b → compared requests",
  })
  confusion: Record<string, Record<string, number>>;

  @ApiProperty({ type: ShadowLatencyResponse })
  latency_ms: ShadowLatencyResponse;

  @ApiProperty({ type: ShadowErrorsResponse })
  errors_b: ShadowErrorsResponse;
}

export class AbTestResultsResponse {
  @ApiProperty({ format: 'uuid' })
  test_id: string;

  @ApiProperty({ enum: AB_TEST_STATUSES, example: 'active' })
  status: string;

  @ApiProperty({ format: 'date-time', description: 'When these numbers were computed (a completed test: when it completed)' })
  computed_at: string;

  @ApiProperty({ type: SampleRatioResponse })
  sample_ratio: SampleRatioResponse;

  @ApiProperty({ type: [MetricResultResponse], description: 'error_rate, latency_ms, then custom:<name>: declared ones in declaration order, then the rest alphabetically' })
  metrics: MetricResultResponse[];

  @ApiProperty({
    type: 'array',
    description: 'One entry per criterion the test declared; `name` tells which shape `observed` has',
    items: {
      oneOf: CRITERION_RESULT_MODELS.map((model) => ({ $ref: getSchemaPath(model) })),
      discriminator: {
        propertyName: 'name',
        mapping: {
          min_requests: getSchemaPath(MinRequestsCriterionResponse),
          max_error_rate: getSchemaPath(MaxErrorRateCriterionResponse),
          max_latency_ms: getSchemaPath(MaxLatencyCriterionResponse),
          min_improvement: getSchemaPath(MinImprovementCriterionResponse),
          min_agreement: getSchemaPath(MinAgreementCriterionResponse),
        },
      },
    },
  })
  criteria: CriterionResultResponse[];

  @ApiProperty({ type: RecommendationResponse })
  recommendation: RecommendationResponse;

  @ApiPropertyOptional({ type: ShadowSectionResponse, description: 'Shadow tests only: how b compared with a on the same inputs' })
  shadow?: ShadowSectionResponse;
}

/** The document is already in wire format; this only gives it the response type. */
export function toAbTestResultsResponse(document: AbTestResults): AbTestResultsResponse {
  return document;
}
