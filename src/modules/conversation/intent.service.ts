import { Injectable } from '@nestjs/common';
import { AbTestedClassifiers, type Prediction, type TextClassifier } from '../predictions/ab-tested-classifier.js';

export const INTENT_MODEL_TYPE = 'intent_classifier';

/** Intent classification through whichever intent_classifier version the A/B tests give the user. */
@Injectable()
export class IntentService {
  private readonly classifier: TextClassifier;

  constructor(classifiers: AbTestedClassifiers) {
    this.classifier = classifiers.for(INTENT_MODEL_TYPE);
  }

  classifyIntent(userId: string, text: string): Promise<Prediction> {
    return this.classifier.classify(userId, text);
  }
}
