import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import type { Variant } from '../../common/variant.js';
import { AbTestsService } from '../ab-tests/ab-tests.service.js';
import { RUNNING_STATUSES } from '../ab-tests/lifecycle/lifecycle.js';
import { ModelRuntimeService } from '../model-registry/runtime/model-runtime.service.js';

/**
 * What FeedbackService needs of other modules, as abstract classes used as DI tokens (bound in
 * predictions.module.ts; unit specs pass fakes): the A/B test a prediction was made in, and the
 * labels of the model version that made it.
 */

/** The A/B test a prediction was served in, as feedback sees it. */
export abstract class FeedbackTests {
  /** True while the test takes metrics (active or paused); false once it completed, or when it does not exist. */
  abstract isRecording(testId: string): Promise<boolean>;
  /** One value of a custom metric of the test's variant (in-process: buffered and flushed). */
  abstract recordMetric(testId: string, variant: Variant, name: string, value: number): Promise<void>;
}

/** The labels a model version can give; a `label` feedback must be one of them. */
export abstract class ModelLabels {
  abstract labelsOf(modelType: string, version: string): Promise<readonly string[]>;
}

/** FeedbackTests through the A/B tests module's service. */
@Injectable()
export class AbTestsFeedbackTests extends FeedbackTests {
  constructor(private readonly abTests: AbTestsService) {
    super();
  }

  async isRecording(testId: string): Promise<boolean> {
    const test = await this.abTests.getTest(testId).catch((error: unknown) => {
      if (error instanceof DomainError && error.status === 404) return null;
      throw error;
    });
    return test !== null && RUNNING_STATUSES.includes(test.status);
  }

  recordMetric(testId: string, variant: Variant, name: string, value: number): Promise<void> {
    return this.abTests.recordMetric(testId, variant, name, value);
  }
}

/** ModelLabels from the loaded model (the model runtime's cache; loads the version if needed). */
@Injectable()
export class RuntimeModelLabels extends ModelLabels {
  constructor(private readonly runtime: ModelRuntimeService) {
    super();
  }

  async labelsOf(modelType: string, version: string): Promise<readonly string[]> {
    return (await this.runtime.loadModel(modelType, version)).labels;
  }
}
