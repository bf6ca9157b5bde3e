import { DomainError } from '../../common/errors/domain-error.js';

export class PredictionNotFoundError extends DomainError {
  constructor(id: string) {
    super('PREDICTION_NOT_FOUND', `Prediction ${id} does not exist`);
  }
}

export class FeedbackAlreadyGivenError extends DomainError {
  constructor(id: string) {
    super('FEEDBACK_ALREADY_GIVEN', `Feedback on prediction ${id} has already been given`);
  }
}

export class InvalidFeedbackError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_FEEDBACK', message, details);
  }
}

/** Neither a running A/B test nor a production version: nothing can answer for this model type. */
export class NoServingVersionError extends DomainError {
  constructor(modelType: string) {
    super('MODEL_UNAVAILABLE', `No version of ${modelType} can serve: none is in production and no A/B test is running`, {
      model_type: modelType,
    });
  }
}

export class FeedbackRateLimitedError extends DomainError {
  constructor(perHour: number, retryAfterSeconds: number) {
    super('FEEDBACK_RATE_LIMITED', `At most ${perHour} feedbacks per hour per user; retry in ${retryAfterSeconds} s`, {
      limit_per_hour: perHour,
      retry_after_seconds: retryAfterSeconds,
    });
  }
}
