import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated } from '../../../auth/authenticated.decorator.js';
import { ErrorBody } from '../../../common/errors/error-body.js';
import { MetricBatchDto, MetricBatchResponse } from '../../metrics/dto/metric-batch.dto.js';
import { MAX_EVENTS_PER_BATCH } from '../../metrics/metric-events.js';
import { AbTestMetricsService } from './ab-test-metrics.service.js';
import { AbTestResultsService } from './ab-test-results.service.js';
import { AbTestIdParam } from '../dto/ab-test-id.param.js';
import { AbTestResultsResponse, CRITERION_RESULT_MODELS, toAbTestResultsResponse } from '../dto/ab-test-results.response.js';
import { TimeseriesQuery } from '../dto/timeseries.query.js';
import { TimeseriesResponse, toTimeseriesResponse } from '../dto/timeseries.response.js';

const BATCH_EXAMPLES = {
  outcomes: {
    summary: 'Request outcomes',
    value: {
      events: [
        { variant: 'a', latency_ms: 118.5, error: false, user_id: 'user-42' },
        { variant: 'b', latency_ms: 97.2 },
        { variant: 'b', error: true, timestamp: '2026-01-05T09:00:00Z' },
      ],
    },
  },
  custom: {
    summary: 'Custom metric values',
    value: {
      events: [
        { variant: 'a', metric: 'accuracy', value: 1 },
        { variant: 'b', metric: 'accuracy', value: 0 },
        { variant: 'b', metric: 'handle_time', value: 42.5 },
      ],
    },
  },
};

@ApiTags('ab-tests')
@Controller('ab-tests')
@ApiExtraModels(...CRITERION_RESULT_MODELS)
export class AbTestMetricsController {
  constructor(
    private readonly metrics: AbTestMetricsService,
    private readonly results: AbTestResultsService,
  ) {}

  /*
   * The body is validated by parseMetricBatch (the same rules as MetricBatchDto, ~300× cheaper
   * than class-validator for a 1,000-event batch), so it is declared `unknown` and the global
   * ValidationPipe leaves it alone; @ApiBody documents it.
   */
  @Post(':test_id/metrics')
  @HttpCode(200)
  @Authenticated('service', 'admin')
  @ApiOperation({
    summary: 'Record a batch of metric events (durable when acknowledged)',
    description:
      `1–${MAX_EVENTS_PER_BATCH.toLocaleString('en-US')} events. Each is a request outcome (\`latency_ms\` ≥ 0 and/or \`error\`: one request) ` +
      'or a custom metric value (`metric` slug + finite `value`: no request); `user_id` is accepted and not stored; `timestamp` ' +
      '(default now, at most 5 minutes ahead) picks the UTC minute it counts in. One bad event rejects the whole batch with 400 ' +
      'naming its index (`events[17]: …`) and nothing is stored. A 200 means the whole batch is in PostgreSQL. ' +
      'Accepted while the test is active or paused; a draft or completed test answers 409. ' +
      'POSTs count against RATE_LIMIT_WRITES_PER_MINUTE per token: send large batches.',
  })
  @ApiBody({ type: MetricBatchDto, examples: BATCH_EXAMPLES })
  @ApiOkResponse({ type: MetricBatchResponse })
  @ApiBadRequestResponse({ description: 'METRIC_EVENT_INVALID naming the first bad event (`events[17]: …`), or a test id that is not a UUID', type: ErrorBody })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  @ApiConflictResponse({ description: 'AB_TEST_NOT_RECORDING: the test is draft or completed', type: ErrorBody })
  @ApiPayloadTooLargeResponse({ description: 'PAYLOAD_TOO_LARGE: the body exceeds BODY_LIMIT_BYTES', type: ErrorBody })
  async record(@Param() params: AbTestIdParam, @Body() body: unknown): Promise<MetricBatchResponse> {
    return this.metrics.ingestBatch(params.test_id, body);
  }

  @Get(':test_id/results')
  @Authenticated('admin', 'service')
  @ApiOperation({
    summary: 'Statistics per metric, sample ratio, criteria and a recommendation',
    description:
      'error_rate (pooled two-proportion z-test, Wald CI), latency_ms and custom:<name> (Welch t-test and CI), relative difference, ' +
      'always-valid sequential p-value (mSPRT), probability that b is better, sample ratio mismatch across split changes, each ' +
      'declared criterion with its numbers, and a recommendation with reasons. A completed test returns the document frozen when it completed.',
  })
  @ApiOkResponse({ type: AbTestResultsResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  async getResults(@Param() params: AbTestIdParam): Promise<AbTestResultsResponse> {
    return toAbTestResultsResponse(await this.results.getResults(params.test_id));
  }

  @Get(':test_id/timeseries')
  @Authenticated('admin', 'service')
  @ApiOperation({
    summary: 'One metric per time bucket and variant, for charts',
    description: 'Buckets are UTC minutes or hours; buckets without data are left out. At most 10,080 buckets per request.',
  })
  @ApiOkResponse({ type: TimeseriesResponse })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED (metric, interval, from, to) or INVALID_TIME_RANGE', type: ErrorBody })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  async getTimeseries(@Param() params: AbTestIdParam, @Query() query: TimeseriesQuery): Promise<TimeseriesResponse> {
    const timeseries = await this.results.getTimeseries(params.test_id, {
      metric: query.metric,
      interval: query.interval ?? 'hour',
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
    });
    return toTimeseriesResponse(params.test_id, timeseries);
  }
}
