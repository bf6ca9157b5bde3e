import { Injectable } from '@nestjs/common';
import { AssignmentService } from '../ab-tests/assignment/assignment.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ModelRuntimeService } from '../model-registry/runtime/model-runtime.service.js';
import { AbTestedClassifier, type Classification } from '../predictions/ab-tested-classifier.js';
import { PhaseTimings } from '../predictions/phase-timings.js';
import { PredictionStore } from '../predictions/prediction-store.js';
import { ShadowRunner } from '../predictions/shadow-runner.js';

export const SAFETY_MODEL_TYPE = 'safety_classifier';
/** The one label that lets a message through; every other label of the classifier is a reason to refuse. */
export const SAFE_LABEL = 'safe';

export interface SafetyVerdict extends Classification {
  safe: boolean;
}

/** Safety checks through whichever safety_classifier version the A/B tests give the user. */
@Injectable()
export class SafetyService {
  private readonly classifier: AbTestedClassifier;

  constructor(assignment: AssignmentService, runtime: ModelRuntimeService, metrics: MetricsService, predictions: PredictionStore, timings: PhaseTimings, shadow: ShadowRunner) {
    this.classifier = new AbTestedClassifier(SAFETY_MODEL_TYPE, { assignment, runtime, metrics, predictions, timings, shadow });
  }

  async checkText(userId: string, text: string): Promise<SafetyVerdict> {
    const classification = await this.classifier.classify(userId, text);
    return { ...classification, safe: classification.label === SAFE_LABEL };
  }
}
