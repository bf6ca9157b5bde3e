import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { isDatabaseUnavailable } from '../../common/errors/to-error-response.js';
import { AssignmentService } from '../ab-tests/assignment/assignment.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ModelRuntimeService } from '../model-registry/runtime/model-runtime.service.js';
import { isModelUnavailable, ModelRegistryError } from '../model-registry/model-registry.errors.js';
import { PhaseTimings } from './phase-timings.js';
import { PredictionStore } from './prediction.store.js';
import { PredictionError } from './predictions.errors.js';
import { ShadowRunner } from './shadow-runner.js';
import type { Variant } from '../../common/variant.js';

/** A prediction (docs/glossary.md): one classifier output served to a user, stored in `predictions` as `predictionId`. */
export interface Prediction {
  predictionId: string;
  modelType: string;
  modelVersion: string;
  abTestId: string | null;
  variant: Variant | null;
  label: string;
  score: number;
  scores: Record<string, number>;
}

export interface ClassifierDependencies {
  assignment: AssignmentService;
  runtime: ModelRuntimeService;
  metrics: MetricsService;
  predictions: PredictionStore;
  timings: PhaseTimings;
  /** Runs b of a shadow test off the request path; without it shadow tests only serve a. */
  shadow?: ShadowRunner;
}

/**
 * How every model type a module serves is classified through its A/B test, written once:
 * ask the A/B tests which version this user gets, load it, run it, report the outcome to that
 * test's variant, and store the prediction so feedback can be credited later.
 *
 * Latency is measured around the inference only. A version that cannot be loaded or fails at
 * inference is an error for its variant and a 503 for the caller: the request is never quietly
 * served by the other variant, which would hide the failure from the test's error rate.
 */
export class AbTestedClassifier implements TextClassifier {
  constructor(
    readonly modelType: string,
    private readonly deps: ClassifierDependencies,
  ) {}

  async classify(userId: string, text: string): Promise<Prediction> {
    const { assignment, runtime, metrics, predictions, timings } = this.deps;
    const marks = [performance.now()];
    const choice = await assignment.getModelVersionForUser(userId, this.modelType).catch((error: unknown) => {
      // For a caller of /safety/check "no version to run" is the service being unavailable, not a missing resource.
      throw error instanceof DomainError && error.code === 'NO_MODEL_VERSION' ? PredictionError.noServingVersion(this.modelType) : error;
    });
    marks.push(performance.now());
    if (!choice) throw PredictionError.noServingVersion(this.modelType);
    const abTestId = choice.abTestId ?? null;
    const variant = abTestId ? choice.variant : null;

    let output: { label: string; score: number; scores: Record<string, number> };
    let latencyMs: number;
    try {
      const model = await runtime.loadModel(this.modelType, choice.version);
      marks.push(performance.now());
      output = await model.predict(text);
      latencyMs = performance.now() - marks[2]!;
    } catch (error) {
      // The database being down is nobody's variant's fault: it answers 503 DATABASE_UNAVAILABLE
      // and is not held against the version that happened not to be loaded yet.
      if (isDatabaseUnavailable(error)) throw error;
      if (abTestId && variant) metrics.recordRequest(abTestId, variant, { error: true });
      if (isModelUnavailable(error)) throw error;
      // Anything else (the version vanished from the registry, an unexpected failure) is still
      // "this version cannot serve", never a 404 or 500 for the caller of a check.
      const reason = error instanceof DomainError ? error.message : `inference failed: ${(error as Error).message}`;
      throw ModelRegistryError.unavailable(this.modelType, choice.version, reason);
    }
    marks.push(performance.now());

    const predictionId = randomUUID();
    await predictions.insert({
      id: predictionId,
      abTestId,
      variant,
      modelType: this.modelType,
      modelVersion: choice.version,
      userId,
      label: output.label,
      score: output.score,
    });
    marks.push(performance.now());
    // Counted once the answer can be given: a classification whose prediction cannot be stored (the
    // database is down) answers 503, and a request the caller never got is not one its variant served.
    if (abTestId && variant) metrics.recordRequest(abTestId, variant, { latencyMs, error: false });
    // A shadow test: b answers the same input later, off this request's path (see ShadowRunner).
    const shadow = choice.shadow;
    if (shadow !== undefined && abTestId && (shadow.sampleRate >= 1 || Math.random() < shadow.sampleRate)) {
      this.deps.shadow?.submit({
        testId: abTestId,
        modelType: this.modelType,
        versionB: shadow.version,
        text,
        labelA: output.label,
        scoreA: output.score,
        latencyMsA: latencyMs,
      });
    }
    marks.push(performance.now());
    timings.record(this.modelType, marks);

    return {
      predictionId,
      modelType: this.modelType,
      modelVersion: choice.version,
      abTestId,
      variant,
      label: output.label,
      score: output.score,
      scores: output.scores,
    };
  }
}

/** Classifies text for a user with the model version the A/B tests give them. */
export interface TextClassifier {
  readonly modelType: string;
  classify(userId: string, text: string): Promise<Prediction>;
}

/**
 * What the safety and conversation modules inject to classify text: the A/B-tested classifier of
 * a model type.
 */
export abstract class AbTestedClassifiers {
  abstract for(modelType: string): TextClassifier;
}

/** AbTestedClassifiers on the assignment service, the model runtime, metrics and the prediction store; one classifier per model type. */
@Injectable()
export class ServingClassifiers extends AbTestedClassifiers {
  private readonly classifiers = new Map<string, AbTestedClassifier>();
  private readonly deps: ClassifierDependencies;

  constructor(assignment: AssignmentService, runtime: ModelRuntimeService, metrics: MetricsService, predictions: PredictionStore, timings: PhaseTimings, shadow: ShadowRunner) {
    super();
    this.deps = { assignment, runtime, metrics, predictions, timings, shadow };
  }

  for(modelType: string): AbTestedClassifier {
    let classifier = this.classifiers.get(modelType);
    if (classifier === undefined) {
      classifier = new AbTestedClassifier(modelType, this.deps);
      this.classifiers.set(modelType, classifier);
    }
    return classifier;
  }
}
