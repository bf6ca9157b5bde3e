import { Injectable } from '@nestjs/common';
import { AbTestedClassifiers, type Prediction, type TextClassifier } from '../predictions/ab-tested-classifier.js';

export const SAFETY_MODEL_TYPE = 'safety_classifier';
/** The one label that lets a message through; every other label of the classifier is a reason to refuse. */
export const SAFE_LABEL = 'safe';

export interface SafetyVerdict extends Prediction {
  safe: boolean;
}

/** Safety checks through whichever safety_classifier version the A/B tests give the user. */
@Injectable()
export class SafetyService {
  private readonly classifier: TextClassifier;

  constructor(classifiers: AbTestedClassifiers) {
    this.classifier = classifiers.for(SAFETY_MODEL_TYPE);
  }

  async checkText(userId: string, text: string): Promise<SafetyVerdict> {
    const classification = await this.classifier.classify(userId, text);
    return { ...classification, safe: classification.label === SAFE_LABEL };
  }
}
