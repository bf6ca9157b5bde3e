import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../auth/authenticated.decorator.js';
import { CurrentUser } from '../../auth/current-user.decorator.js';
import type { AuthUser } from '../../auth/roles.js';
import { ErrorBody } from '../../common/errors/error-body.js';
import { actingUserId } from '../../auth/acting-user.js';
import { SafetyCheckRequest, SafetyCheckResponse } from './dto/safety-check.dto.js';
import { SafetyService, type SafetyVerdict } from './safety.service.js';

export function toSafetyCheckResponse(verdict: SafetyVerdict): SafetyCheckResponse {
  return {
    label: verdict.label,
    score: verdict.score,
    safe: verdict.safe,
    model_type: verdict.modelType,
    model_version: verdict.modelVersion,
    variant: verdict.variant,
    ab_test_id: verdict.abTestId,
    prediction_id: verdict.predictionId,
  };
}

@ApiTags('safety')
@Controller('safety')
export class SafetyController {
  constructor(private readonly safety: SafetyService) {}

  @Post('check')
  @HttpCode(200)
  @Authenticated('user', 'service')
  @ApiOperation({
    summary: 'Classify a text as safe, toxic, self_harm or pii',
    description:
      'Runs the safety_classifier version the caller is assigned to: the running A/B test\'s variant, or the production ' +
      'version when no test runs (`variant` and `ab_test_id` null). The inference latency and outcome are recorded for ' +
      "that test's variant; a model that cannot be loaded or fails counts as an error for its variant and answers 503 " +
      '(never silently served by the other variant). The prediction is stored; its `prediction_id` takes feedback.',
  })
  @ApiOkResponse({ type: SafetyCheckResponse })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'VALIDATION_FAILED: text missing, empty or longer than 10,000 characters; unknown fields' })
  @ApiServiceUnavailableResponse({
    type: ErrorBody,
    description: 'MODEL_UNAVAILABLE: the assigned version cannot be loaded or failed, or no version is in production',
  })
  async check(@CurrentUser() caller: AuthUser, @Body() body: SafetyCheckRequest): Promise<SafetyCheckResponse> {
    const verdict = await this.safety.checkText(actingUserId(caller, body.user_id), body.text);
    return toSafetyCheckResponse(verdict);
  }
}
