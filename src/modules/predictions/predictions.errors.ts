import { DomainError } from '../../common/errors/domain-error.js';

/** Errors of the predictions module; `code` is stable (clients switch on it). */
export class PredictionError extends DomainError {
  static notFound(id: string): PredictionError {
    return new PredictionError('PREDICTION_NOT_FOUND', `Prediction ${id} does not exist`);
  }

  static feedbackAlreadyGiven(id: string): PredictionError {
    return new PredictionError('FEEDBACK_ALREADY_GIVEN', `Feedback on prediction ${id} has already been given`);
  }

  static invalidFeedback(message: string, details?: Record<string, unknown>): PredictionError {
    return new PredictionError('INVALID_FEEDBACK', message, details);
  }

  /** Neither a running A/B test nor a production version: nothing can answer for this model type. */
  static noServingVersion(modelType: string): PredictionError {
    return new PredictionError('MODEL_UNAVAILABLE', `No version of ${modelType} can serve: none is in production and no A/B test is running`, {
      model_type: modelType,
    });
  }

  static feedbackRateLimited(perHour: number, retryAfterSeconds: number): PredictionError {
    return new PredictionError('FEEDBACK_RATE_LIMITED', `At most ${perHour} feedbacks per hour per user; retry in ${retryAfterSeconds} s`, {
      limit_per_hour: perHour,
      retry_after_seconds: retryAfterSeconds,
    });
  }
}
