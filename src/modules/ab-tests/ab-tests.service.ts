import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions.js';
import type { Page } from '../../common/pagination/page.js';
import { ModelTypesService } from '../model-registry/model-types.service.js';
import { ModelVersionsService } from '../model-registry/model-versions.service.js';
import { AbTestRepository, type AbTestFilter } from './ab-test.repository.js';
import { AssignmentStore } from './assignment/assignment.store.js';
import { AbTestEventRepository } from './lifecycle/ab-test-event.repository.js';
import { AbTestError } from './ab-tests.errors.js';

import type { CreateAbTestDto } from './dto/create-ab-test.dto.js';
import type { AssignmentCounts } from './dto/ab-test.response.js';
import { AbTest, type AbTestCriteria, type AbTestMode, type MetricDefinition } from './entities/ab-test.entity.js';
import type { AbTestEvent } from './entities/ab-test-event.entity.js';
import { frozenResultsOf } from './results/frozen-results.js';
import { AbTestMetricRecorder, AbTestMetricsReader, type AbTestMetricsSummary } from './metrics-ports.js';
import { trafficSplitProblems } from './lifecycle/traffic-split.js';
import { assertVersionsUsable } from './lifecycle/version-check.js';
import { DEFAULT_STEP_MIN_REQUESTS, DEFAULT_STEP_MIN_SECONDS, rolloutStepProblems } from './dto/rollout.dto.js';
import { RolloutStore, type Rollout, type RolloutPlan } from './rollout/rollout.store.js';
import type { Variant } from '../../common/variant.js';

export type { AbTestFilter };

export interface AbTestDetail {
  test: AbTest;
  rollout: Rollout | null;
  metrics: AbTestMetricsSummary;
  assignments: AssignmentCounts;
}

/** Creating and reading A/B tests (the lifecycle lives in AbTestLifecycleService). */
@Injectable()
export class AbTestsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly tests: AbTestRepository,
    private readonly events: AbTestEventRepository,
    private readonly assignments: AssignmentStore,
    private readonly modelTypes: ModelTypesService,
    private readonly modelVersions: ModelVersionsService,
    private readonly rollouts: RolloutStore,
    private readonly metricsReader: AbTestMetricsReader,
    private readonly metricRecorder: AbTestMetricRecorder,
  ) {}

  /** A new test in draft, after checking its split, metrics and both model versions. */
  async createTest(input: CreateAbTestDto, actor: string, options: { sourceTestId?: string } = {}): Promise<AbTest> {
    const { mode, split, rollout } = modeAndSplit(input);
    if (input.variant_a === input.variant_b) throw AbTestError.identicalVariants(input.variant_a);
    const metricDefinitions: MetricDefinition[] = (input.metrics ?? []).map((m) => ({ name: m.name, higher_is_better: m.higher_is_better ?? true }));
    const seen = new Set<string>();
    for (const { name } of metricDefinitions) {
      if (seen.has(name)) throw AbTestError.duplicateMetric(name);
      seen.add(name);
    }
    if (!(await this.modelTypes.modelTypeExists(input.model_type))) {
      throw AbTestError.modelTypeNotFound(input.model_type, await this.modelTypes.listModelTypeNames());
    }
    const versions = await assertVersionsUsable(this.modelVersions, input.model_type, input.variant_a, input.variant_b);
    if (versions.variantA === versions.variantB) throw AbTestError.identicalVariants(versions.variantA);

    const id = randomUUID();
    const now = new Date();
    const test: AbTest = Object.assign(new AbTest(), {
      id,
      name: input.name,
      description: input.description ?? null,
      modelType: input.model_type,
      variantA: versions.variantA,
      variantB: versions.variantB,
      trafficSplit: split,
      splitVersion: 1,
      splitHistory: [{ version: 1, ...split, since: now.toISOString() }],
      status: 'draft' as const,
      criteria: compactCriteria(input.criteria),
      hashSeed: input.hash_seed ?? id,
      metricDefinitions,
      autoPause: input.auto_pause ?? false,
      mode,
      shadowSampleRate: mode === 'shadow' ? (input.shadow_sample_rate ?? 1) : null,
      sourceTestId: options.sourceTestId ?? null,
      metrics: null,
      winner: null,
      notes: null,
      startDate: null,
      endDate: null,
      createdBy: actor,
      createdAt: now,
      updatedAt: now,
    });
    await this.transactions.run(async (tx) => {
      await this.tests.insert(tx, test);
      await this.events.append(tx, {
        abTestId: id,
        action: 'created',
        actor,
        before: null,
        after: {
          status: 'draft',
          model_type: test.modelType,
          variant_a: test.variantA,
          variant_b: test.variantB,
          traffic_split: split,
          mode,
          ...(mode === 'shadow' ? { shadow_sample_rate: test.shadowSampleRate } : {}),
          ...(rollout ? { rollout: { steps: rollout.steps, step_min_seconds: rollout.stepMinSeconds, step_min_requests: rollout.stepMinRequests, auto_complete: rollout.autoComplete } } : {}),
          ...(test.sourceTestId ? { source_test_id: test.sourceTestId } : {}),
        },
      });
      if (rollout) await this.rollouts.insert(tx, id, rollout);
    });
    return test;
  }

  async listTests(filter: AbTestFilter): Promise<Page<AbTest>> {
    const { items, total } = await this.tests.list(filter);
    return { items, total, limit: filter.limit, offset: filter.offset };
  }

  async getTest(id: string): Promise<AbTest> {
    const test = await this.tests.findById(id);
    if (!test) throw AbTestError.notFound(id);
    return test;
  }

  /**
   * The test with its per-variant metrics and stored assignment counts (`GET /ab-tests/{id}`).
   * A completed test shows the metrics frozen when it completed.
   */
  async getTestDetail(id: string): Promise<AbTestDetail> {
    const test = await this.getTest(id);
    const frozen = test.status === 'completed' ? frozenResultsOf(test.metrics) : null;
    const [metrics, assignments, rollout] = await Promise.all([
      frozen ? { variant_a: frozen.variant_a, variant_b: frozen.variant_b } : this.metricsReader.summarize(id),
      this.countAssignments(id),
      this.rollouts.find(id),
    ]);
    return { test, metrics, assignments, rollout };
  }

  /** From the counters the assignment triggers keep (a few rows per test, however many users). */
  async countAssignments(id: string): Promise<AssignmentCounts> {
    const counts: AssignmentCounts = { a: 0, b: 0 };
    for (const row of await this.assignments.countAssignments(id)) counts[row.variant] += row.count;
    return counts;
  }

  /** The audit log of a test, oldest first. */
  async listEvents(id: string, page: { limit: number; offset: number }): Promise<Page<AbTestEvent>> {
    await this.getTest(id);
    const { items, total } = await this.events.listForTest(id, page);
    return { items, total, limit: page.limit, offset: page.offset };
  }

  /**
   * A custom metric recorded in-process (`recordMetric(testId, variant, 'custom_metric', value)`):
   * hands the value to the metric recorder port (buffered, flushed within METRICS_FLUSH_MS; reported as
   * `custom:<name>`).
   */
  async recordMetric(testId: string, variant: Variant, name: string, value: number): Promise<void> {
    await this.metricRecorder.recordMetric(testId, variant, name, value);
  }
}

/**
 * The mode, the stored split and the rollout plan of a new test (400 on a combination that makes
 * no sense): a shadow test serves a to everyone ({a: 1, b: 0}, any given split ignored) and takes
 * no rollout; an A/B test with a rollout starts at its first step; otherwise the split is required.
 */
function modeAndSplit(input: CreateAbTestDto): { mode: AbTestMode; split: { a: number; b: number }; rollout: RolloutPlan | null } {
  const mode = input.mode ?? 'ab';
  if (mode === 'shadow') {
    if (input.rollout) throw AbTestError.invalidTestMode('rollout applies to A/B tests; a shadow test that is ready_for_ab graduates to one (POST /ab-tests/{id}/graduate)');
    return { mode, split: { a: 1, b: 0 }, rollout: null };
  }
  if (input.shadow_sample_rate !== undefined) throw AbTestError.invalidTestMode('shadow_sample_rate applies to shadow tests (mode: "shadow")');
  if (input.criteria?.min_agreement !== undefined) throw AbTestError.invalidTestMode('criteria.min_agreement applies to shadow tests (mode: "shadow")');
  if (input.rollout) {
    const problems = rolloutStepProblems(input.rollout.steps);
    if (problems.length > 0) throw AbTestError.invalidRollout(problems);
    const first = input.rollout.steps[0]!;
    return {
      mode,
      split: rolloutSplit(first),
      rollout: {
        steps: [...input.rollout.steps],
        stepMinSeconds: input.rollout.step_min_seconds ?? DEFAULT_STEP_MIN_SECONDS,
        stepMinRequests: input.rollout.step_min_requests ?? DEFAULT_STEP_MIN_REQUESTS,
        autoComplete: input.rollout.auto_complete ?? false,
      },
    };
  }
  if (!input.traffic_split) throw AbTestError.invalidTrafficSplit(['traffic_split is required for an A/B test without a rollout']);
  const problems = trafficSplitProblems(input.traffic_split);
  if (problems.length > 0) throw AbTestError.invalidTrafficSplit(problems);
  return { mode, split: { a: input.traffic_split.a, b: input.traffic_split.b }, rollout: null };
}

/** The split with b at `share` (a's share rounded so the two sum to exactly 1 within 1e-12). */
export function rolloutSplit(share: number): { a: number; b: number } {
  return { a: Math.round((1 - share) * 1e12) / 1e12, b: share };
}

/** Only the criteria that were given, so results list exactly what the test declared. */
function compactCriteria(criteria: CreateAbTestDto['criteria']): AbTestCriteria {
  const result: AbTestCriteria = {};
  if (!criteria) return result;
  if (criteria.min_requests !== undefined) result.min_requests = criteria.min_requests;
  if (criteria.max_error_rate !== undefined) result.max_error_rate = criteria.max_error_rate;
  if (criteria.max_latency_ms !== undefined) result.max_latency_ms = criteria.max_latency_ms;
  if (criteria.min_improvement !== undefined) result.min_improvement = criteria.min_improvement;
  if (criteria.min_agreement !== undefined) result.min_agreement = criteria.min_agreement;
  return result;
}
