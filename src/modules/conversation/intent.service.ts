import { Injectable } from '@nestjs/common';
import { AssignmentService } from '../ab-tests/assignment/assignment.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ModelRuntimeService } from '../model-registry/runtime/model-runtime.service.js';
import { AbTestedClassifier, type Classification } from '../predictions/ab-tested-classifier.js';
import { PhaseTimings } from '../predictions/phase-timings.js';
import { PredictionStore } from '../predictions/prediction-store.js';
import { ShadowRunner } from '../predictions/shadow-runner.js';

export const INTENT_MODEL_TYPE = 'intent_classifier';

/** Intent classification through whichever intent_classifier version the A/B tests give the user. */
@Injectable()
export class IntentService {
  private readonly classifier: AbTestedClassifier;

  constructor(assignment: AssignmentService, runtime: ModelRuntimeService, metrics: MetricsService, predictions: PredictionStore, timings: PhaseTimings, shadow: ShadowRunner) {
    this.classifier = new AbTestedClassifier(INTENT_MODEL_TYPE, { assignment, runtime, metrics, predictions, timings, shadow });
  }

  classifyIntent(userId: string, text: string): Promise<Classification> {
    return this.classifier.classify(userId, text);
  }
}
