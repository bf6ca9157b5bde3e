import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Authenticated } from '../../../auth/authenticated.decorator.js';
import { CurrentUser } from '../../../auth/current-user.decorator.js';
import type { AuthUser } from '../../../auth/roles.js';
import { ErrorBody } from '../../../common/errors/error-body.js';
import { PageQuery } from '../../../common/pagination/page.query.js';
import { AbTestIdParam } from '../dto/ab-test-id.param.js';
import { AbTestResponse, toAbTestResponse } from '../dto/ab-test.response.js';
import { DisagreementPageResponse, GraduateShadowTestDto, toDisagreementResponse } from '../dto/shadow.dto.js';
import { ShadowTestsService } from './shadow-tests.service.js';

@ApiTags('ab-tests')
@Controller('ab-tests')
@ApiBadRequestResponse({ description: 'VALIDATION_FAILED: a malformed body, query or test id', type: ErrorBody })
export class ShadowTestsController {
  constructor(private readonly shadow: ShadowTestsService) {}

  @Get(':test_id/disagreements')
  @Authenticated('admin', 'service')
  @ApiOperation({
    summary: "A shadow test's latest disagreements between a and b, newest first",
    description: 'Labels, scores, versions and the input (redacted, truncated to 200 characters) of sampled requests where b’s label differed from a’s. The latest 1,000 per test are kept.',
  })
  @ApiOkResponse({ type: DisagreementPageResponse })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  @ApiConflictResponse({ description: 'NOT_A_SHADOW_TEST', type: ErrorBody })
  async disagreements(@Param() params: AbTestIdParam, @Query() query: PageQuery): Promise<DisagreementPageResponse> {
    const page = await this.shadow.listDisagreements(params.test_id, { limit: query.limit, offset: query.offset });
    return { items: page.items.map(toDisagreementResponse), total: page.total, limit: query.limit, offset: query.offset };
  }

  @Post(':test_id/graduate')
  @Authenticated('admin')
  @ApiOperation({
    summary: 'Turn a shadow test that is ready_for_ab into a running A/B test (fixed split or rollout)',
    description:
      'Creates an A/B test of the same versions (criteria and custom metrics carried over, `source_test_id` = this test), ' +
      'completes the shadow test without a winner and starts the new test. Body: `traffic_split` or `rollout`, and an optional `name`.',
  })
  @ApiCreatedResponse({ type: AbTestResponse, description: 'The new, active A/B test' })
  @ApiBadRequestResponse({
    description: 'VALIDATION_FAILED listing every problem of the body, INVALID_TEST_MODE (neither or both of traffic_split and rollout), INVALID_TRAFFIC_SPLIT or INVALID_ROLLOUT',
    type: ErrorBody,
  })
  @ApiUnprocessableEntityResponse({ description: 'MODEL_VERSION_ARCHIVED: a version was archived while the shadow test ran', type: ErrorBody })
  @ApiNotFoundResponse({ description: 'AB_TEST_NOT_FOUND', type: ErrorBody })
  @ApiConflictResponse({ description: 'NOT_A_SHADOW_TEST, SHADOW_NOT_READY (with the recommendation and its reasons) or INVALID_TRANSITION', type: ErrorBody })
  async graduate(@Param() params: AbTestIdParam, @Body() body: GraduateShadowTestDto, @CurrentUser() user: AuthUser): Promise<AbTestResponse> {
    return toAbTestResponse(await this.shadow.graduate(params.test_id, body, user.sub));
  }
}
