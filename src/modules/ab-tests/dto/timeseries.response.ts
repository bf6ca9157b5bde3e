import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Timeseries } from '../../metrics/metrics-query.service.js';
import { TIMESERIES_INTERVALS } from './timeseries.query.js';

export class TimeseriesPointResponse {
  @ApiProperty({ format: 'date-time', example: '2026-01-05T09:00:00.000Z' })
  bucket_start: string;

  @ApiProperty({ example: 0.004, description: 'requests: the count; error_rate: errors / requests; latency_ms and custom: the mean' })
  value: number;

  @ApiProperty({ example: 1000, description: 'Requests (requests, error_rate) or observations (latency_ms, custom) in the bucket' })
  count: number;

  @ApiPropertyOptional({ example: 170, nullable: true, type: Number, description: "latency_ms only: the bucket's p95 (ms)" })
  p95?: number | null;
}

export class TimeseriesSeriesResponse {
  @ApiProperty({ type: [TimeseriesPointResponse] })
  a: TimeseriesPointResponse[];

  @ApiProperty({ type: [TimeseriesPointResponse] })
  b: TimeseriesPointResponse[];
}

export class TimeseriesResponse {
  @ApiProperty({ format: 'uuid' })
  test_id: string;

  @ApiProperty({ example: 'error_rate' })
  metric: string;

  @ApiProperty({ enum: TIMESERIES_INTERVALS, example: 'hour' })
  interval: string;

  @ApiProperty({ format: 'date-time', description: 'Start of the first bucket of the range' })
  from: string;

  @ApiProperty({ format: 'date-time', description: 'End of the range (exclusive)' })
  to: string;

  @ApiProperty({ type: TimeseriesSeriesResponse, description: 'Buckets with data per variant, oldest first (buckets without data are left out)' })
  series: TimeseriesSeriesResponse;
}

export function toTimeseriesResponse(testId: string, timeseries: Timeseries): TimeseriesResponse {
  return { test_id: testId, ...timeseries };
}
