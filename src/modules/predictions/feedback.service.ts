import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '../../auth/roles.js';
import { isPrivileged } from '../../auth/acting-user.js';
import { isUuid } from '../../common/validation/uuid.js';
import { FeedbackAllowance } from './feedback-allowance.js';
import { FeedbackTests, ModelLabels } from './feedback-ports.js';
import { PredictionStore } from './prediction.store.js';
import { PredictionsConfig } from './predictions.config.js';
import { PredictionError } from './predictions.errors.js';

/** The custom metric feedback feeds; a test declares `min_improvement` on it. */
export const ACCURACY_METRIC = 'accuracy';

export interface FeedbackInput {
  correct?: boolean;
  label?: string;
}

export interface FeedbackResult {
  predictionId: string;
  correct: boolean;
  recordedMetric: boolean;
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * Ground truth from users → the `accuracy` metric of the variant that made the prediction. A user
 * token gives feedback once per prediction, on its own predictions only, and at most
 * FEEDBACK_PER_USER_PER_HOUR times an hour, so one user cannot steer a test's accuracy.
 */
@Injectable()
export class FeedbackService {
  private readonly allowance: FeedbackAllowance;

  constructor(
    private readonly predictions: PredictionStore,
    private readonly labels: ModelLabels,
    private readonly tests: FeedbackTests,
    @Inject(PredictionsConfig.token) config: PredictionsConfig,
  ) {
    this.allowance = new FeedbackAllowance(config.feedbackPerUserPerHour, HOUR_MS);
  }

  async giveFeedback(caller: AuthUser, predictionId: string, input: FeedbackInput): Promise<FeedbackResult> {
    if ((input.correct === undefined) === (input.label === undefined)) {
      throw PredictionError.invalidFeedback('Give exactly one of `correct` (true or false) and `label` (the true label)');
    }
    // Service and admin tokens report for many users; the cap is on what one user token can do.
    if (!isPrivileged(caller)) {
      const retryAfter = this.allowance.take(caller.sub);
      if (retryAfter !== null) throw PredictionError.feedbackRateLimited(this.allowance.limit, retryAfter);
    }
    // Someone else's prediction is "not found": its existence is not the caller's business.
    const prediction = isUuid(predictionId) ? await this.predictions.findById(predictionId) : null;
    if (!prediction || (!isPrivileged(caller) && prediction.userId !== caller.sub)) {
      throw PredictionError.notFound(predictionId);
    }

    let correct: boolean;
    if (input.label !== undefined) {
      const labels = await this.labels.labelsOf(prediction.modelType, prediction.modelVersion);
      if (!labels.includes(input.label)) {
        throw PredictionError.invalidFeedback(
          `label must be one of ${labels.join(', ')} (the labels of ${prediction.modelType} ${prediction.modelVersion}), got "${input.label}"`,
          { labels: [...labels] },
        );
      }
      correct = input.label === prediction.label;
    } else {
      correct = input.correct!;
    }

    // Once per prediction, atomically: of two concurrent feedbacks exactly one is recorded.
    if (!(await this.predictions.recordFeedback(prediction.id, { correct, label: input.label ?? null, by: caller.sub }))) {
      throw PredictionError.feedbackAlreadyGiven(prediction.id);
    }

    let recordedMetric = false;
    // A completed test's results are frozen (its metrics take no more values): feedback after that is kept on the prediction only.
    if (prediction.abTestId && prediction.variant && (await this.tests.isRecording(prediction.abTestId))) {
      await this.tests.recordMetric(prediction.abTestId, prediction.variant, ACCURACY_METRIC, correct ? 1 : 0);
      recordedMetric = true;
    }
    return { predictionId: prediction.id, correct, recordedMetric };
  }
}
