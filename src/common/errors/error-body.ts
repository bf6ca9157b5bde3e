import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/** One field of a request that failed validation, with every problem it has. */
export class FieldProblem {
  @ApiProperty({ example: 'traffic_split.a', description: 'Dotted path of the field (`body`, `query` or `params` when the whole value is at fault)' })
  field: string;

  @ApiProperty({ type: [String], example: ['traffic_split.a must not be greater than 1'] })
  problems: string[];
}

/**
 * The object `details` of every code but VALIDATION_FAILED: which keys a code sends is listed in
 * ErrorBody's description; all are optional here.
 */
export class ErrorDetails {
  @ApiPropertyOptional({ format: 'uuid', description: 'AB_TEST_NOT_FOUND, INVALID_TRANSITION, AB_TEST_NOT_RECORDING, NOT_A_SHADOW_TEST, SHADOW_NOT_READY' })
  test_id?: string;

  @ApiPropertyOptional({ example: 'draft', description: 'INVALID_TRANSITION, AB_TEST_NOT_RECORDING: the test’s status' })
  current_status?: string;

  @ApiPropertyOptional({ example: 'pause', description: 'INVALID_TRANSITION: what was asked' })
  action?: string;

  @ApiPropertyOptional({ type: [String], example: ['start'], description: 'INVALID_TRANSITION: what the test’s status allows' })
  allowed_actions?: string[];

  @ApiPropertyOptional({ example: 'safety_classifier', description: 'model registry and A/B test codes naming a model type' })
  model_type?: string;

  @ApiPropertyOptional({ example: 'v2.0.0', description: 'MODEL_VERSION_NOT_FOUND, MODEL_VERSION_ARCHIVED, DUPLICATE_MODEL_VERSION, MODEL_UNAVAILABLE' })
  version?: string;

  @ApiPropertyOptional({ example: 'variant_b', description: 'MODEL_VERSION_NOT_FOUND, MODEL_VERSION_ARCHIVED in a create body: which field' })
  field?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['safety_classifier'],
    description: 'MODEL_TYPE_NOT_FOUND, MODEL_VERSION_NOT_FOUND: the registered names closest to the one given',
  })
  suggestions?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'AB_TEST_ALREADY_RUNNING: the test that holds the model type' })
  other_test_id?: string;

  @ApiPropertyOptional({ example: 'active', description: 'AB_TEST_ALREADY_RUNNING' })
  other_test_status?: string;

  @ApiPropertyOptional({ type: [String], description: 'INVALID_TRAFFIC_SPLIT, INVALID_ROLLOUT: each problem of the split or the rollout' })
  problems?: string[];

  @ApiPropertyOptional({ example: 17, description: 'METRIC_EVENT_INVALID: index of the first bad event' })
  index?: number;

  @ApiPropertyOptional({ example: 'Accuracy', description: 'UNKNOWN_METRIC: the metric asked for' })
  metric?: string;

  @ApiPropertyOptional({ example: 209715200, description: 'PAYLOAD_TOO_LARGE of an upload: MAX_UPLOAD_BYTES' })
  limit_bytes?: number;

  @ApiPropertyOptional({ example: 'keep_running', description: 'SHADOW_NOT_READY: the shadow test’s current recommendation' })
  decision?: string;

  @ApiPropertyOptional({ type: [String], example: ['12 of 500 comparisons'], description: 'SHADOW_NOT_READY: why it is not ready_for_ab' })
  reasons?: string[];

  @ApiPropertyOptional({ example: 100, description: 'FEEDBACK_RATE_LIMITED: FEEDBACK_PER_USER_PER_HOUR' })
  limit_per_hour?: number;

  @ApiPropertyOptional({ example: 1260, description: 'FEEDBACK_RATE_LIMITED: seconds until this user may give feedback again (also in `Retry-After`)' })
  retry_after_seconds?: number;

  @ApiPropertyOptional({ type: [String], example: ['GET', 'HEAD', 'POST'], description: 'METHOD_NOT_ALLOWED: the methods the path takes (also in `Allow`)' })
  allowed_methods?: string[];

  @ApiPropertyOptional({ example: 'invalid_grant', description: 'OIDC_SIGN_IN_REFUSED, OIDC_CODE_REJECTED: the identity provider’s OAuth error code' })
  error?: string;
}

/** The one shape of every error response. */
@ApiExtraModels(FieldProblem, ErrorDetails)
export class ErrorBody {
  @ApiProperty({ example: 400, description: 'The HTTP status, repeated' })
  status_code: number;

  @ApiProperty({ example: 'Bad Request', description: 'The status’s reason phrase' })
  error: string;

  @ApiProperty({ example: 'traffic_split.a must not be greater than 1', description: 'What went wrong and what to do, for people' })
  message: string;

  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable code: switch on this, not on the message' })
  code: string;

  @ApiPropertyOptional({
    description:
      'VALIDATION_FAILED: an array, one `{field, problems}` per invalid field. Other codes: an object whose keys ' +
      'depend on the code (see ErrorDetails); codes without details leave it out.',
    oneOf: [{ type: 'array', items: { $ref: getSchemaPath(FieldProblem) } }, { $ref: getSchemaPath(ErrorDetails) }],
  })
  details?: FieldProblem[] | ErrorDetails;
}
