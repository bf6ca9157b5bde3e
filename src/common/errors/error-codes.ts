/**
 * Every stable error `code` the API answers with: its status, what it means and the shape of its
 * `details` (if any). The OpenAPI document is built from this table (ErrorBody's description, one
 * example per code on each error response), so a new code belongs here.
 */
export interface ErrorCodeInfo {
  /** The status of every response with this code: a code means one status everywhere. */
  status: number;
  /** An example message, as the service words it. */
  message: string;
  /** `details` as sent: 'fields' = the `[{field, problems}]` array of a validation failure. */
  details?: 'fields' | Record<string, unknown>;
}

export const ERROR_CODES = {
  VALIDATION_FAILED: {
    status: 400,
    message: 'traffic_split.a must not be greater than 1',
    details: 'fields',
  },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON' },
  BAD_REQUEST: { status: 400, message: "'/api/v1/models/%E0%A4%A' is not a valid url component" },
  MALFORMED_REQUEST: { status: 400, message: 'The request is not valid HTTP' },
  INVALID_TRAFFIC_SPLIT: { status: 400, message: 'a and b must sum to 1 (got 1.2)', details: { problems: ['a and b must sum to 1 (got 1.2)'] } },
  IDENTICAL_VARIANTS: { status: 400, message: 'variant_a and variant_b must be different model versions, both are "v1.0.0"' },
  DUPLICATE_METRIC: { status: 400, message: 'metrics declares "accuracy" more than once' },
  PROMOTE_REQUIRES_WINNER: { status: 400, message: 'promote: true needs a winner ("a" or "b")' },
  INVALID_USER_ID: { status: 400, message: 'The user id must be 1 to 255 characters' },
  METRIC_EVENT_INVALID: { status: 400, message: 'events[17]: latency_ms must be a finite number ≥ 0', details: { index: 17 } },
  INVALID_TIME_RANGE: { status: 400, message: 'from must be before to' },
  UNKNOWN_METRIC: {
    status: 400,
    message: 'metric must be requests, error_rate, latency_ms or custom:<name> with a lowercase slug name, got "Accuracy"',
    details: { metric: 'Accuracy' },
  },
  INVALID_VERSION: { status: 400, message: 'version must be a semantic version such as v2.0.0 or 1.4.0-rc.1, got "2.1"' },
  UNSUPPORTED_FORMAT: { status: 400, message: 'format must be one of onnx, got "pt"' },
  INVALID_METADATA: { status: 400, message: 'metadata is not valid: labels must be an array of strings' },
  INVALID_STAGE: { status: 400, message: 'stage must be one of none, staging, production, archived, got "prod"' },
  INVALID_FEEDBACK: { status: 400, message: 'label "spam" is not one of the model\'s labels: safe, toxic, pii' },
  INVALID_TEST_MODE: { status: 400, message: 'shadow_sample_rate applies to shadow tests (mode: "shadow")' },
  INVALID_ROLLOUT: {
    status: 400,
    message: 'rollout.steps must increase: steps[2] = 0.25 is not above 0.25',
    details: { problems: ['rollout.steps must increase: steps[2] = 0.25 is not above 0.25'] },
  },
  OIDC_SIGN_IN_EXPIRED: {
    status: 400,
    message: 'No sign-in is in progress in this browser (it was not started here, already finished, or took longer than 10 minutes); start again at /login',
  },
  OIDC_STATE_MISMATCH: {
    status: 400,
    message: "The identity provider's answer does not belong to the sign-in this browser started (state mismatch); start again at /login",
  },
  OIDC_CODE_REJECTED: {
    status: 400,
    message: 'The identity provider refused the sign-in code: invalid_grant (grant request is invalid); start again at /login',
    details: { error: 'invalid_grant' },
  },
  AUTH_REQUIRED: { status: 401, message: 'A bearer token is required (Authorization: Bearer <token>)' },
  TOKEN_INVALID: { status: 401, message: 'The bearer token is not valid: invalid signature' },
  TOKEN_EXPIRED: { status: 401, message: 'The bearer token has expired' },
  METRICS_TOKEN_REQUIRED: { status: 401, message: 'GET /metrics needs the METRICS_TOKEN this server is configured with, as a bearer token' },
  OIDC_SIGN_IN_REFUSED: {
    status: 401,
    message: 'The identity provider did not sign you in: access_denied (End-User aborted interaction)',
    details: { error: 'access_denied' },
  },
  FORBIDDEN_ROLE: { status: 403, message: 'This operation requires one of the roles: admin' },
  CSRF_REJECTED: {
    status: 403,
    message:
      "Refused: a write authenticated by the session cookie came from another origin (https://elsewhere.example). Send the token as Authorization: Bearer, or write from the dashboard's own pages",
  },
  FORBIDDEN_USER_ID: { status: 403, message: 'A user token can only act for itself; user_id needs a service or admin token' },
  OIDC_SIGN_IN_NOT_CONFIGURED: {
    status: 404,
    message: 'Sign-in through an identity provider is not configured (OIDC_ISSUER and OIDC_CLIENT_ID); sign in with a token at /login',
  },
  NOT_FOUND: { status: 404, message: 'Cannot GET /api/v1/nothing' },
  AB_TEST_NOT_FOUND: {
    status: 404,
    message: 'A/B test 3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60 does not exist',
    details: { test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60' },
  },
  MODEL_TYPE_NOT_FOUND: {
    status: 404,
    message: 'Model type "spam_filter" does not exist (create it with POST /api/v1/models)',
    details: { model_type: 'spam_filter' },
  },
  MODEL_VERSION_NOT_FOUND: {
    status: 404,
    message: 'Model type "safety_classifier" has no version "v9.0.0"',
    details: { model_type: 'safety_classifier', version: 'v9.0.0' },
  },
  NO_MODEL_VERSION: {
    status: 404,
    message: 'Model type "spam_filter" has no running A/B test and no production version',
    details: { model_type: 'spam_filter' },
  },
  CONVERSATION_NOT_FOUND: { status: 404, message: 'Conversation 8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f does not exist' },
  PREDICTION_NOT_FOUND: { status: 404, message: 'Prediction 0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11 does not exist' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    message: 'DELETE is not allowed on /api/v1/ab-tests; allowed: GET, HEAD, POST',
    details: { allowed_methods: ['GET', 'HEAD', 'POST'] },
  },
  INVALID_TRANSITION: {
    status: 409,
    message: 'Cannot pause A/B test 3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60: it is draft; from draft it can: start',
    details: { test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60', current_status: 'draft', action: 'pause', allowed_actions: ['start'] },
  },
  AB_TEST_ALREADY_RUNNING: {
    status: 409,
    message:
      'Cannot start: A/B test 3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60 ("Safety Classifier v2 Test") is already active for model type "safety_classifier"; complete it first',
    details: { model_type: 'safety_classifier', other_test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60', other_test_status: 'active' },
  },
  AB_TEST_NOT_RECORDING: {
    status: 409,
    message: 'A/B test 3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60 is draft (it has not started): metrics are accepted while it is active or paused',
    details: { test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60', current_status: 'draft' },
  },
  DUPLICATE_MODEL_TYPE: { status: 409, message: 'Model type "spam_filter" already exists', details: { model_type: 'spam_filter' } },
  DUPLICATE_MODEL_VERSION: {
    status: 409,
    message: 'Model type "safety_classifier" already has version "v2.0.0"; versions are immutable, register a new one',
    details: { model_type: 'safety_classifier', version: 'v2.0.0' },
  },
  NOT_A_SHADOW_TEST: {
    status: 409,
    message: 'A/B test 3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60 is not a shadow test',
    details: { test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60' },
  },
  SHADOW_NOT_READY: {
    status: 409,
    message: 'Shadow test 3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60 is not ready_for_ab (keep_running): 12 of 500 comparisons',
    details: { test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60', decision: 'keep_running', reasons: ['12 of 500 comparisons'] },
  },
  FEEDBACK_ALREADY_GIVEN: { status: 409, message: 'Prediction 0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11 already has feedback' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than the server accepts' },
  URI_TOO_LONG: { status: 414, message: "'/api/v1/models/aaaa…' is exceeding the max param length" },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'This route takes a JSON body: send Content-Type: application/json (got application/x-www-form-urlencoded)',
  },
  UNKNOWN_MODEL_TYPE: {
    status: 422,
    message: 'Model type "safety_clasifier" is not registered; did you mean safety_classifier?',
    details: { model_type: 'safety_clasifier', suggestions: ['safety_classifier'] },
  },
  UNKNOWN_MODEL_VERSION: {
    status: 422,
    message: 'variant_b: model version "v2.0.1" of "safety_classifier" does not exist; usable versions: v1.0.0, v2.0.0',
    details: { field: 'variant_b', model_type: 'safety_classifier', version: 'v2.0.1', suggestions: ['v1.0.0', 'v2.0.0'] },
  },
  MODEL_VERSION_ARCHIVED: {
    status: 422,
    message: 'variant_a: model version "v1.0.0" of "safety_classifier" is archived',
    details: { field: 'variant_a', model_type: 'safety_classifier', version: 'v1.0.0' },
  },
  INVALID_ARTIFACT: { status: 422, message: 'The artifact is not a usable model: not an ONNX model' },
  RATE_LIMITED: { status: 429, message: 'Too many write requests: at most 6000 per minute per token; retry in 1 minute' },
  FEEDBACK_RATE_LIMITED: {
    status: 429,
    message: 'At most 100 feedbacks per hour per user; retry in 1260 s',
    details: { limit_per_hour: 100, retry_after_seconds: 1260 },
  },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are larger than the server accepts' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  MODEL_UNAVAILABLE: {
    status: 503,
    message: 'Model safety_classifier v2.0.0 is unavailable: the artifact is missing',
    details: { model_type: 'safety_classifier', version: 'v2.0.0' },
  },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable; try again shortly' },
  IDENTITY_PROVIDER_UNAVAILABLE: { status: 503, message: "The identity provider's signing keys cannot be fetched right now; retry shortly" },
  DASHBOARD_NOT_BUILT: { status: 503, message: 'The dashboard has not been built: run `npm run build` (npm start does it)' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down; retry the request' },
  ASSIGNMENT_UNAVAILABLE: {
    status: 503,
    message: 'The A/B test of "safety_classifier" kept changing state; try again',
    details: { model_type: 'safety_classifier' },
  },
} satisfies Record<string, ErrorCodeInfo>;

/** Every stable error code; a DomainError takes one of these and its status comes from the table. */
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

export function statusOfCode(code: ErrorCode): number {
  return (ERROR_CODES as Record<ErrorCode, ErrorCodeInfo>)[code].status;
}
