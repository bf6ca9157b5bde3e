import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsISO8601, IsNumber, IsOptional, IsRFC3339, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { METRIC_NAME_PATTERN } from '../metric-deltas.js';
import { MAX_USER_ID_LENGTH } from '../../../common/validation/user-id.js';
import { MAX_COMPARISON_INPUT_LENGTH, MAX_EVENTS_PER_BATCH, MAX_LABEL_LENGTH, type MetricEvent } from '../metric-events.js';
import type { Variant } from '../../../common/variant.js';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

/**
 * One metric event: a request outcome (`latency_ms` and/or `error`) or a custom metric value
 * (`metric` + `value`), not both. The route validates with parseMetricBatch (which also names the
 * first bad event's index); these decorators document the rules and are the class-validator
 * reference bench/metrics.ts compares it with. metric-batch.dto.spec.ts checks all three agree.
 */
export class MetricEventDto implements MetricEvent {
  @ApiProperty({ enum: ['a', 'b'], example: 'b' })
  @IsIn(['a', 'b'])
  variant: Variant;

  @ApiPropertyOptional({ minimum: 0, example: 118.5, description: 'Request latency in milliseconds (request outcome)' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  latency_ms?: number;

  @ApiPropertyOptional({ example: false, description: 'Whether the request failed (request outcome)' })
  @IsOptional()
  @IsBoolean()
  error?: boolean;

  @ApiPropertyOptional({ pattern: METRIC_NAME_PATTERN.source, example: 'accuracy', description: 'Custom metric name; results call it custom:<name>' })
  @IsOptional()
  @IsString()
  @Matches(METRIC_NAME_PATTERN, { message: 'metric must be a lowercase slug (^[a-z][a-z0-9_]{0,62}$)' })
  metric?: string;

  @ApiPropertyOptional({ example: 0.93, description: 'Custom metric value (with metric)' })
  @IsOptional()
  @IsNumber(FINITE)
  value?: number;

  @ApiPropertyOptional({ maxLength: MAX_USER_ID_LENGTH, example: 'user-42', description: 'Accepted, not stored: aggregates are per variant' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_USER_ID_LENGTH)
  user_id?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-01-05T09:00:00Z',
    description: 'When it happened (default: now); at most 5 minutes in the future. Counted in its UTC minute.',
  })
  @IsOptional()
  @IsRFC3339()
  @IsISO8601({ strict: true, strictSeparator: true })
  timestamp?: string;
}

/**
 * A shadow test's comparison of a and b on one input, from a client that runs both models itself
 * (documentation only: the route validates with metricEventProblem). Accepted by shadow tests only.
 */
export class ComparisonEventDto {
  @ApiProperty({ enum: ['comparison'], example: 'comparison' })
  type: 'comparison';

  @ApiProperty({ minLength: 1, maxLength: MAX_LABEL_LENGTH, example: 'safe', description: "a's label (the answer served)" })
  label_a: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_LABEL_LENGTH, example: 'toxic', description: "b's label on the same input; required unless error_b is true" })
  label_b?: string;

  @ApiProperty({ minimum: 0, example: 0.42, description: "a's inference latency in ms" })
  latency_ms_a: number;

  @ApiPropertyOptional({ minimum: 0, example: 0.61, description: "b's inference latency in ms; required unless error_b is true" })
  latency_ms_b?: number;

  @ApiPropertyOptional({ example: false, description: 'b failed on this input (default false; counted in errors_b; label_b and latency_ms_b may be omitted)' })
  error_b?: boolean;

  @ApiPropertyOptional({ example: 0.97, description: "a's score for its label (kept with a disagreement)" })
  score_a?: number;

  @ApiPropertyOptional({ example: 0.55, description: "b's score for its label (kept with a disagreement)" })
  score_b?: number;

  @ApiPropertyOptional({
    maxLength: MAX_COMPARISON_INPUT_LENGTH,
    example: 'you are useless',
    description: 'The input; kept only when a and b disagree, redacted (personal data) and truncated to 200 characters',
  })
  input?: string;

  @ApiPropertyOptional({ maxLength: MAX_USER_ID_LENGTH, example: 'user-42', description: 'Accepted, not stored' })
  user_id?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-05T09:00:00Z', description: 'When it happened (default: now); at most 5 minutes in the future' })
  timestamp?: string;
}

@ApiExtraModels(MetricEventDto, ComparisonEventDto)
export class MetricBatchDto {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(MetricEventDto) }, { $ref: getSchemaPath(ComparisonEventDto) }] },
    minItems: 1,
    maxItems: MAX_EVENTS_PER_BATCH,
    description: 'Request outcomes and custom metric values (MetricEventDto), and for shadow tests comparisons (ComparisonEventDto, `type: "comparison"`)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_EVENTS_PER_BATCH)
  @ValidateNested({ each: true })
  @Type(() => MetricEventDto)
  events: MetricEventDto[];
}

export class MetricBatchResponse {
  @ApiProperty({ example: 1000, description: 'Events stored (the whole batch)' })
  accepted: number;

  @ApiProperty({ example: 980, description: 'Request outcomes among them' })
  requests: number;

  @ApiProperty({ example: 20, description: 'Custom metric values among them' })
  custom: number;

  @ApiProperty({ example: 0, description: 'Comparison events among them (shadow tests)' })
  comparisons: number;
}
