import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import type { TimeseriesInterval, TimeseriesMetric } from '../../metrics/metrics-query.service.js';

export const TIMESERIES_METRIC_PATTERN = /^(requests|error_rate|latency_ms|custom:[a-z][a-z0-9_]{0,62})$/;
export const TIMESERIES_INTERVALS: readonly TimeseriesInterval[] = ['minute', 'hour'];

export class TimeseriesQuery {
  @ApiProperty({
    type: String,
    example: 'error_rate',
    pattern: TIMESERIES_METRIC_PATTERN.source,
    description: '`requests` (count), `error_rate` (errors / requests), `latency_ms` (mean and p95) or `custom:<name>` (mean)',
  })
  @IsString()
  @Matches(TIMESERIES_METRIC_PATTERN, { message: 'metric must be requests, error_rate, latency_ms or custom:<name> (a lowercase slug)' })
  metric: TimeseriesMetric;

  @ApiPropertyOptional({ enum: TIMESERIES_INTERVALS, default: 'hour', description: 'Bucket width (UTC)' })
  @IsOptional()
  @IsIn(TIMESERIES_INTERVALS, { message: 'interval must be minute or hour' })
  interval?: TimeseriesInterval;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-01-05T00:00:00Z',
    description: 'Start (inclusive, rounded down to the bucket); default: 24 hours (minute) or 30 days (hour) before `to`',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date-time, e.g. 2026-01-05T09:00:00Z' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-01-06T00:00:00Z', description: 'End (exclusive, rounded up to the bucket); default: the end of the current bucket' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date-time, e.g. 2026-01-06T09:00:00Z' })
  to?: string;
}
