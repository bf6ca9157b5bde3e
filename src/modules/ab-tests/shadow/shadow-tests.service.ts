import { Injectable, Logger } from '@nestjs/common';
import { AbTestLifecycleService } from '../lifecycle/ab-test-lifecycle.service.js';
import { AbTestResultsService } from '../results/ab-test-results.service.js';
import { AbTestError } from '../ab-tests.errors.js';
import { AbTestsService } from '../ab-tests.service.js';
import type { CreateAbTestDto } from '../dto/create-ab-test.dto.js';
import type { GraduateShadowTestDto } from '../dto/shadow.dto.js';
import type { AbTest } from '../entities/ab-test.entity.js';
import { ShadowRecorder } from './shadow-recorder.js';
import { ShadowStore, type DisagreementRow } from './shadow.store.js';

/** Reading a shadow test's disagreements and turning a ready shadow test into an A/B test. */
@Injectable()
export class ShadowTestsService {
  private readonly logger = new Logger('Shadow');

  constructor(
    private readonly tests: AbTestsService,
    private readonly lifecycle: AbTestLifecycleService,
    private readonly results: AbTestResultsService,
    private readonly store: ShadowStore,
    private readonly recorder: ShadowRecorder,
  ) {}

  async listDisagreements(testId: string, page: { limit: number; offset: number }): Promise<{ items: DisagreementRow[]; total: number }> {
    const test = await this.tests.getTest(testId);
    if (test.mode !== 'shadow') throw AbTestError.notAShadowTest(testId);
    return this.store.disagreements(testId, page);
  }

  /**
   * One call from a shadow test that is `ready_for_ab` to a running A/B test of the same versions:
   * creates the A/B test (criteria and custom metrics carried over, `source_test_id` pointing back),
   * completes the shadow test without a winner (its audit event names the new test) and starts the
   * new one at the given split or rollout. 409 SHADOW_NOT_READY otherwise, naming the reasons.
   * If the start itself fails (e.g. a version was archived meanwhile) the new test stays a draft.
   */
  async graduate(testId: string, input: GraduateShadowTestDto, actor: string): Promise<AbTest> {
    const shadow = await this.tests.getTest(testId);
    if (shadow.mode !== 'shadow') throw AbTestError.notAShadowTest(testId);
    if (shadow.status !== 'active' && shadow.status !== 'paused') {
      throw AbTestError.invalidTransition(testId, shadow.status, 'complete', []);
    }
    if ((input.traffic_split === undefined) === (input.rollout === undefined)) {
      throw AbTestError.invalidTestMode('give either traffic_split or rollout for the A/B test');
    }
    await this.recorder.flushNow().catch(() => undefined);
    const results = await this.results.getResults(testId);
    if (results.recommendation.decision !== 'ready_for_ab') {
      throw AbTestError.shadowNotReady(testId, results.recommendation.decision, results.recommendation.reasons);
    }
    const { min_agreement: _minAgreement, ...criteria } = shadow.criteria;
    const body: CreateAbTestDto = {
      name: input.name ?? `${shadow.name.slice(0, 194)} (A/B)`,
      description: shadow.description ?? undefined,
      model_type: shadow.modelType,
      variant_a: shadow.variantA,
      variant_b: shadow.variantB,
      traffic_split: input.traffic_split,
      rollout: input.rollout,
      criteria,
      metrics: shadow.metricDefinitions,
      auto_pause: shadow.autoPause,
    };
    const created = await this.tests.createTest(body, actor, { sourceTestId: testId });
    await this.lifecycle.completeTest(testId, { winner: null, notes: `Graduated to A/B test ${created.id}: ${results.recommendation.reasons.join('; ')}` }, actor);
    const started = await this.lifecycle.startTest(created.id, actor);
    this.logger.log(`shadow test ${testId} graduated to A/B test ${created.id} (${input.rollout ? `rollout ${input.rollout.steps.join(' → ')}` : 'fixed split'})`);
    return started;
  }
}
