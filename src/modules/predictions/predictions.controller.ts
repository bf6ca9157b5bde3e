import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Authenticated } from '../../auth/authenticated.decorator.js';
import { CurrentUser } from '../../auth/current-user.decorator.js';
import type { AuthUser } from '../../auth/roles.js';
import { ErrorBody } from '../../common/errors/error-body.js';
import { FeedbackRequest, FeedbackResponse } from './dto/feedback.dto.js';
import { FeedbackService } from './feedback.service.js';

@ApiTags('predictions')
@Controller('predictions')
export class PredictionsController {
  constructor(private readonly feedback: FeedbackService) {}

  @Post(':prediction_id/feedback')
  @HttpCode(200)
  @Authenticated('user', 'service', 'admin')
  @ApiOperation({
    summary: 'Tell whether a prediction was right',
    description:
      'Ground truth for a prediction returned by `/safety/check` (`prediction_id`) or `/conversations/messages` ' +
      '(`safety.prediction_id`, `intent_prediction_id`). Body: exactly one of `{"correct": true|false}` or ' +
      "`{\"label\": \"<true label>\"}`. When the prediction was made inside an A/B test, records the custom metric " +
      '`accuracy` (1 or 0) for the variant that made it, which `/ab-tests/{id}/results` compares as `custom:accuracy`. ' +
      "Allowed for the prediction's user and for service or admin tokens; feedback is accepted once, and a user token " +
      'gives at most FEEDBACK_PER_USER_PER_HOUR feedbacks an hour (default 60).',
  })
  @ApiParam({ name: 'prediction_id', format: 'uuid', example: '0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11' })
  @ApiOkResponse({ type: FeedbackResponse })
  @ApiBadRequestResponse({
    type: ErrorBody,
    description: 'INVALID_FEEDBACK: neither or both of `correct` and `label`, or a label the model does not have; VALIDATION_FAILED: wrong types',
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: "PREDICTION_NOT_FOUND: no such prediction, or another user's" })
  @ApiConflictResponse({ type: ErrorBody, description: 'FEEDBACK_ALREADY_GIVEN: this prediction already has feedback' })
  @ApiTooManyRequestsResponse({ type: ErrorBody, description: 'FEEDBACK_RATE_LIMITED: this user token gave FEEDBACK_PER_USER_PER_HOUR feedbacks in the last hour (Retry-After says when to retry)' })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: "MODEL_UNAVAILABLE: the model's labels could not be read to check `label`" })
  async giveFeedback(
    @CurrentUser() caller: AuthUser,
    @Param('prediction_id') predictionId: string,
    @Body() body: FeedbackRequest,
  ): Promise<FeedbackResponse> {
    const result = await this.feedback.giveFeedback(caller, predictionId, body);
    return { prediction_id: result.predictionId, correct: result.correct, recorded_metric: result.recordedMetric };
  }
}
