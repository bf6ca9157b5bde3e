import { Controller, Get, Req } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../../auth/authenticated.decorator.js';
import { actingUserId } from '../../../auth/acting-user.js';
import type { AuthUser } from '../../../auth/roles.js';
import { ErrorBody } from '../../../common/errors/error-body.js';
import { assertAcceptableValue } from '../../../common/validation/api-validation-pipe.js';
import { AbTestError } from '../ab-tests.errors.js';
import { AssignmentService } from './assignment.service.js';
import { UserVariantQueryPipe } from '../dto/user-variant.query.js';
import { MODEL_TYPE_PATTERN } from '../dto/create-ab-test.dto.js';
import { USER_VARIANT_RESPONSE_SCHEMA, UserVariantResponse } from '../dto/user-variant.response.js';
import { MAX_USER_ID_LENGTH } from '../../../common/validation/user-id.js';

/** The route's own query check (same 400 VALIDATION_FAILED as the global pipe gives elsewhere). */
const userVariantQuery = new UserVariantQueryPipe();

/** Registered before AbTestsController so `/ab-tests/user/variant` is never read as a test id. */
@ApiTags('ab-tests')
@Controller('ab-tests')
export class AssignmentController {
  constructor(private readonly assignment: AssignmentService) {}

  @Get('user/variant')
  @Authenticated('user', 'service', 'admin')
  // Fastify compiles a serializer for the 200 answer (fast-json-stringify) instead of JSON.stringify.
  @RouteSchema({ response: { 200: USER_VARIANT_RESPONSE_SCHEMA } })
  @ApiOperation({
    summary: "A user's variant and model version for a model type",
    description:
      'A user token gets its own assignment (its `sub`); service and admin tokens may pass `user_id`. ' +
      'No running A/B test → the production version with `variant: null`.',
  })
  @ApiQuery({ name: 'model_type', required: true, example: 'safety_classifier', schema: { type: 'string', pattern: MODEL_TYPE_PATTERN.source } })
  @ApiQuery({
    name: 'user_id',
    required: false,
    example: 'alice',
    description: "Whose variant (service and admin tokens only; default: the token's sub)",
    schema: { type: 'string', minLength: 1, maxLength: MAX_USER_ID_LENGTH },
  })
  @ApiOkResponse({ type: UserVariantResponse })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: a missing or malformed model_type or user_id, or an unknown parameter', type: ErrorBody })
  @ApiNotFoundResponse({ description: 'NO_MODEL_VERSION: no running test and no production version', type: ErrorBody })
  // The request itself rather than @Query(pipe) and @CurrentUser(): a parameter no pipe runs on costs
  // Nest no promise and no pipe pass, which is measurable on the hottest route (bench:assign). So the
  // global pipe's checks run here, in its order: what no field may hold (NUL, unpaired surrogates),
  // then the route's own. The guard has run before, so 401/403 still come before 400.
  async getUserVariant(@Req() request: { query: Record<string, unknown>; user: AuthUser }): Promise<UserVariantResponse> {
    assertAcceptableValue(request.query, { type: 'query' });
    const query = userVariantQuery.transform(request.query);
    const userId = actingUserId(request.user, query.user_id);
    const routed = await this.assignment.getModelVersionForUser(userId, query.model_type);
    if (!routed) throw AbTestError.noModelVersion(query.model_type);
    return { ab_test_id: routed.abTestId, model_type: query.model_type, variant: routed.variant, model_version: routed.version };
  }
}
