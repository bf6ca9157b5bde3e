import { randomUUID } from 'node:crypto';
import { AbTestedClassifiers, type Prediction, type TextClassifier } from './ab-tested-classifier.js';

/**
 * AbTestedClassifiers that answer from a table instead of a model, for unit specs of the services
 * that classify text: `answers[modelType](text)` gives the label (default the first of `labels`).
 */
export class FakeAbTestedClassifiers extends AbTestedClassifiers {
  /** Every classification made, in order. */
  readonly calls: Array<{ modelType: string; userId: string; text: string }> = [];

  constructor(private readonly answers: Record<string, (text: string) => string>) {
    super();
  }

  for(modelType: string): TextClassifier {
    return {
      modelType,
      classify: (userId: string, text: string): Promise<Prediction> => {
        this.calls.push({ modelType, userId, text });
        const answer = this.answers[modelType];
        if (answer === undefined) return Promise.reject(new Error(`no fake answers for ${modelType}`));
        const label = answer(text);
        return Promise.resolve({ predictionId: randomUUID(), modelType, modelVersion: 'v1.0.0', abTestId: null, variant: null, label, score: 0.9, scores: { [label]: 0.9 } });
      },
    };
  }
}
