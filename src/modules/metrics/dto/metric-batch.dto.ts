import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsISO8601, IsNumber, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { METRIC_NAME_PATTERN } from '../metric-deltas.js';
import { MAX_EVENTS_PER_BATCH, MAX_USER_ID_LENGTH, type MetricEvent } from '../metric-events.js';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

/**
 * One metric event: a request outcome (`latency_ms` and/or `error`) or a custom metric value
 * (`metric` + `value`), not both — that rule and the index of the first bad event are checked by
 * `validateMetricEvents` in MetricsIngestionService.ingest.
 */
export class MetricEventDto implements MetricEvent {
  @ApiProperty({ enum: ['a', 'b'], example: 'b' })
  @IsIn(['a', 'b'])
  variant: 'a' | 'b';

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
  @IsISO8601({ strict: true })
  timestamp?: string;
}

export class MetricBatchDto {
  @ApiProperty({ type: [MetricEventDto], minItems: 1, maxItems: MAX_EVENTS_PER_BATCH })
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
}
