import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Authenticated } from '../../auth/authenticated.decorator.js';
import { CurrentUser } from '../../auth/current-user.decorator.js';
import type { AuthUser } from '../../auth/roles.js';
import { ErrorBody } from '../../common/errors/error-body.js';
import { AbTestLifecycleService } from './lifecycle/ab-test-lifecycle.service.js';
import { AbTestsService } from './ab-tests.service.js';
import { AbTestEventPageResponse, toAbTestEventResponse } from './dto/ab-test-event.response.js';
import { AbTestIdParam } from './dto/ab-test-id.param.js';
import { AbTestDetailResponse, AbTestPageResponse, AbTestResponse, toAbTestDetailResponse, toAbTestResponse } from './dto/ab-test.response.js';
import { CompleteAbTestDto } from './dto/complete-ab-test.dto.js';
import { CreateAbTestDto } from './dto/create-ab-test.dto.js';
import { ListAbTestsQuery, PageQuery } from './dto/list-ab-tests.query.js';
import { TrafficSplitDto } from './dto/traffic-split.dto.js';


/*
 * Bodies that work on a fresh start (the example models: v1.0.0 in production, v2.0.0 registered)
 * and pin no hash_seed, so every test made from them gets its own buckets.
 */
const CREATE_EXAMPLES = {
  seed: {
    summary: 'The seed test (minimal body)',
    value: {
      name: 'Safety Classifier v2 Test',
      model_type: 'safety_classifier',
      variant_a: 'v1.0.0',
      variant_b: 'v2.0.0',
      traffic_split: { a: 0.5, b: 0.5 },
    },
  },
  criteria: {
    summary: 'With criteria, a custom metric and auto-pause',
    value: {
      name: 'Intent Classifier v2 Test',
      description: 'Does v2 route billing questions better without slowing replies?',
      model_type: 'intent_classifier',
      variant_a: 'v1.0.0',
      variant_b: 'v2.0.0',
      traffic_split: { a: 0.9, b: 0.1 },
      criteria: { min_requests: 1000, max_error_rate: 0.02, max_latency_ms: 250, min_improvement: 0.02 },
      metrics: [{ name: 'accuracy', higher_is_better: true }],
      auto_pause: true,
    },
  },
};

@ApiTags('ab-tests')
@Controller('ab-tests')
@ApiBadRequestResponse({ description: 'VALIDATION_FAILED: a malformed body, query or test id', type: ErrorBody })
export class AbTestsController {
  constructor(
    private readonly tests: AbTestsService,
    private readonly lifecycle: AbTestLifecycleService,
  ) {}

  @Post()
  @Authenticated('admin')
  @ApiOperation({
    summary: 'Create an A/B test (draft)',
    description:
      'Both model versions must exist for the model type and not be archived (422 naming the missing one). ' +
      'traffic_split shares are 0–1 and sum to 1. hash_seed defaults to the test id.',
  })
  @ApiBody({ type: CreateAbTestDto, examples: CREATE_EXAMPLES })
  @ApiCreatedResponse({ type: AbTestResponse })
  @ApiBadRequestResponse({
    description:
      'VALIDATION_FAILED listing every problem of the body, INVALID_TRAFFIC_SPLIT, IDENTICAL_VARIANTS, DUPLICATE_METRIC, ' +
      'INVALID_TEST_MODE (a field of the other mode) or INVALID_ROLLOUT',
    type: ErrorBody,
  })
  @ApiUnprocessableEntityResponse({
    description: 'UNKNOWN_MODEL_TYPE or UNKNOWN_MODEL_VERSION (with the registered names closest to the one given), or MODEL_VERSION_ARCHIVED',
    type: ErrorBody,
  })
  async create(@Body() body: CreateAbTestDto, @CurrentUser() user: AuthUser): Promise<AbTestResponse> {
    return toAbTestResponse(await this.tests.createTest(body, user.sub));
  }

  @Get()
  @Authenticated('admin', 'service')
  @ApiOperation({ summary: 'List A/B tests, newest first', description: 'Paginated: `{items, total, limit, offset}`.' })
  @ApiOkResponse({ type: AbTestPageResponse })
  async list(@Query() query: ListAbTestsQuery): Promise<AbTestPageResponse> {
    const limit = query.limit;
    const offset = query.offset;
    const page = await this.tests.listTests({ modelType: query.model_type, status: query.status, limit, offset });
    return { items: page.items.map(toAbTestResponse), total: page.total, limit, offset };
  }

  @Get(':test_id')
  @Authenticated('admin', 'service')
  @ApiOperation({
    summary: 'An A/B test with per-variant metrics and assignment counts',
    description: 'The test as stored plus `metrics.variant_a/b` (requests, errors, latency, custom metrics) and `assignments {variant_a, variant_b, total}`. For the statistics use `GET …/results`.',
  })
  @ApiOkResponse({ type: AbTestDetailResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  async get(@Param() params: AbTestIdParam): Promise<AbTestDetailResponse> {
    const detail = await this.tests.getTestDetail(params.test_id);
    return toAbTestDetailResponse(detail.test, detail.metrics, detail.assignments, detail.rollout);
  }

  @Get(':test_id/events')
  @Authenticated('admin', 'service')
  @ApiOperation({
    summary: "The test's audit log (every transition and split change), oldest first",
    description: 'Paginated `{items, total, limit, offset}`. Each event names who (`actor`, the token’s `sub`), when, and the fields before and after.',
  })
  @ApiOkResponse({ type: AbTestEventPageResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  async events(@Param() params: AbTestIdParam, @Query() query: PageQuery): Promise<AbTestEventPageResponse> {
    const limit = query.limit;
    const offset = query.offset;
    const page = await this.tests.listEvents(params.test_id, { limit, offset });
    return { items: page.items.map(toAbTestEventResponse), total: page.total, limit, offset };
  }

  @Post(':test_id/start')
  @HttpCode(200)
  @Authenticated('admin')
  @ApiOperation({
    summary: 'Start (draft → active) or resume (paused → active)',
    description: 'Takes no body (an empty one with any content type is fine). At most one test per model type is active or paused; both versions must still exist and not be archived.',
  })
  @ApiOkResponse({ type: AbTestResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION, or AB_TEST_ALREADY_RUNNING naming the other test of the model type', type: ErrorBody })
  @ApiUnprocessableEntityResponse({ description: 'UNKNOWN_MODEL_VERSION or MODEL_VERSION_ARCHIVED: a version is missing or was archived', type: ErrorBody })
  async start(@Param() params: AbTestIdParam, @CurrentUser() user: AuthUser): Promise<AbTestResponse> {
    return toAbTestResponse(await this.lifecycle.startTest(params.test_id, user.sub));
  }

  @Post(':test_id/pause')
  @HttpCode(200)
  @Authenticated('admin')
  @ApiOperation({
    summary: 'Pause (active → paused): everyone gets variant a, no new assignments',
    description: 'Takes no body. Metrics are still accepted while paused; `start` resumes with the assignments kept.',
  })
  @ApiOkResponse({ type: AbTestResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION', type: ErrorBody })
  async pause(@Param() params: AbTestIdParam, @CurrentUser() user: AuthUser): Promise<AbTestResponse> {
    return toAbTestResponse(await this.lifecycle.pauseTest(params.test_id, user.sub));
  }

  @Post(':test_id/complete')
  @HttpCode(200)
  @Authenticated('admin')
  @ApiOperation({
    summary: 'Complete (active or paused → completed)',
    description: "With `promote: true` and a winner, the winner's version becomes the production version in the same transaction.",
  })
  @ApiOkResponse({ type: AbTestResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION', type: ErrorBody })
  async complete(@Param() params: AbTestIdParam, @Body() body: CompleteAbTestDto, @CurrentUser() user: AuthUser): Promise<AbTestResponse> {
    return toAbTestResponse(await this.lifecycle.completeTest(params.test_id, body ?? {}, user.sub));
  }

  @Patch(':test_id/traffic-split')
  @Authenticated('admin')
  @ApiOperation({ summary: 'Change the traffic split (ramp)', description: 'Users already assigned keep their variant; new users follow the new split.' })
  @ApiOkResponse({ type: AbTestResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION (the test is completed)', type: ErrorBody })
  async changeTrafficSplit(@Param() params: AbTestIdParam, @Body() body: TrafficSplitDto, @CurrentUser() user: AuthUser): Promise<AbTestResponse> {
    return toAbTestResponse(await this.lifecycle.changeTrafficSplit(params.test_id, body, user.sub));
  }
}
