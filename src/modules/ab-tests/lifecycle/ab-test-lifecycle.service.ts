import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../../../common/errors/postgres-errors.js';
import { ChangeFeed } from '../../../database/change-feed.service.js';
import { Transactions, type Tx } from '../../../database/transactions.js';
import { ModelStagesService } from '../../model-registry/model-stages.service.js';
import { ModelVersionsService } from '../../model-registry/model-versions.service.js';
import { AB_TESTS_TOPIC, ActiveTestsCache } from '../assignment/active-tests.cache.js';
import { AbTestRepository } from '../ab-test.repository.js';
import { AbTestEventRepository } from './ab-test-event.repository.js';
import { AbTestError } from '../ab-tests.errors.js';
import type { TrafficSplit } from '../assignment/bucketing.js';
import type { AbTest, JsonObject } from '../entities/ab-test.entity.js';
import { allowedActions, eventAction, nextStatus, type AbTestStatus, type LifecycleAction } from './lifecycle.js';
import { AbTestCompletionHook } from '../metrics-ports.js';
import { sameTrafficSplit, trafficSplitProblems } from './traffic-split.js';
import { assertVersionsUsable } from './version-check.js';
import type { Variant } from '../../../common/variant.js';

/** The partial unique index that lets only one test per model type be active or paused. */
const ONE_RUNNING_INDEX = 'ab_tests_one_running_per_model_type';

export interface CompleteTestInput {
  winner?: Variant | null;
  promote?: boolean;
  notes?: string;
}

/**
 * For automatic actors (the rollout scheduler): run inside the caller's transaction, and add the
 * figures behind the decision to the audit event. With a `tx`, the caller invalidates the
 * routing cache after its commit (invalidateAfterCommit).
 */
export interface ChangeOptions {
  tx?: Tx;
  details?: JsonObject;
}

interface Change {
  /** Columns to update (updatedAt is added). */
  changes: Partial<AbTest>;
  before: JsonObject;
  after: JsonObject;
}

/**
 * start, pause, complete and ramp. Each runs in one transaction that locks the test's row
 * (SELECT … FOR UPDATE), checks the transition against the state machine, updates the row, appends
 * the audit event and publishes the change (delivered to every instance at commit). After the
 * commit, this instance's routing cache is invalidated at once.
 */
@Injectable()
export class AbTestLifecycleService {
  constructor(
    private readonly transactions: Transactions,
    private readonly tests: AbTestRepository,
    private readonly events: AbTestEventRepository,
    private readonly modelVersions: ModelVersionsService,
    private readonly modelStages: ModelStagesService,
    private readonly changeFeed: ChangeFeed,
    private readonly cache: ActiveTestsCache,
    private readonly completionHook: AbTestCompletionHook,
  ) {}

  /** draft or paused → active, after checking both versions again and that no other test runs. */
  async startTest(id: string, actor: string): Promise<AbTest> {
    try {
      return await this.change(id, 'start', actor, async (test, to, tx) => {
        await assertVersionsUsable(this.modelVersions, test.modelType, test.variantA, test.variantB, tx);
        const other = await this.tests.findOtherRunning(test.modelType, test.id, tx);
        if (other) throw AbTestError.anotherTestRunning(test.modelType, other);
        const startDate = test.startDate ?? new Date();
        return {
          changes: { status: to, startDate },
          before: { status: test.status },
          after: { status: to, start_date: startDate.toISOString() },
        };
      });
    } catch (error) {
      // Two starts raced past the check above; the index let one of them win.
      if (isUniqueViolation(error, ONE_RUNNING_INDEX)) {
        const test = await this.tests.findById(id);
        const other = test ? await this.tests.findOtherRunning(test.modelType, id) : null;
        throw AbTestError.anotherTestRunning(test?.modelType ?? 'unknown', other);
      }
      throw error;
    }
  }

  /**
   * active → paused: everyone gets variant a's version and no new assignments are made. `details`
   * go into the audit event's `after` (a guardrail records the numbers behind its decision).
   */
  pauseTest(id: string, actor: string, details: JsonObject = {}, options: ChangeOptions = {}): Promise<AbTest> {
    return this.change(
      id,
      'pause',
      actor,
      (test, to) => Promise.resolve({ changes: { status: to }, before: { status: test.status }, after: { ...details, ...options.details, status: to } }),
      options.tx,
    );
  }

  /**
   * active or paused → completed. With `promote` and a winner, the winner's version becomes the
   * production version in the same transaction (both commit or neither does). The completion hook
   * first flushes buffered metrics (outside the row lock), then freezes the results in the
   * transaction.
   */
  async completeTest(id: string, input: CompleteTestInput, actor: string, options: ChangeOptions = {}): Promise<AbTest> {
    const winner = input.winner ?? null;
    if (input.promote && winner === null) throw AbTestError.promoteRequiresWinner();
    await this.completionHook.beforeTestCompletes(id);
    return this.change(id, 'complete', actor, async (test, to, tx) => {
      const endDate = new Date();
      let promoted: string | null = null;
      if (input.promote && winner !== null) {
        promoted = winner === 'a' ? test.variantA : test.variantB;
        await this.modelStages.promoteVersion({ modelType: test.modelType, version: promoted, stage: 'production', actor, tx });
      }
      return {
        changes: { status: to, winner, endDate, notes: input.notes ?? test.notes },
        before: { status: test.status },
        after: {
          ...options.details,
          status: to,
          winner,
          promoted_version: promoted,
          end_date: endDate.toISOString(),
          ...(input.notes !== undefined ? { notes: input.notes } : {}),
        },
      };
    }, options.tx);
  }

  /**
   * Ramps the split (e.g. 10/90 → 50/50). Users already assigned keep their variant; new users are
   * bucketed under the new split, and their assignments record the new split_version.
   */
  async changeTrafficSplit(id: string, split: TrafficSplit, actor: string, options: ChangeOptions = {}): Promise<AbTest> {
    const problems = trafficSplitProblems(split);
    if (problems.length > 0) throw AbTestError.invalidTrafficSplit(problems);
    const next = { a: split.a, b: split.b };
    return this.change(id, 'change_traffic_split', actor, (test) => {
      if (sameTrafficSplit(test.trafficSplit, next)) return Promise.resolve(null);
      const splitVersion = test.splitVersion + 1;
      return Promise.resolve({
        changes: {
          trafficSplit: next,
          splitVersion,
          splitHistory: [...test.splitHistory, { version: splitVersion, ...next, since: new Date().toISOString() }],
        },
        before: { traffic_split: test.trafficSplit, split_version: test.splitVersion },
        after: { ...options.details, traffic_split: next, split_version: splitVersion },
      });
    }, options.tx);
  }

  /** After the commit of changes made in a caller's transaction: this instance routes by the new state at once. */
  invalidateAfterCommit(modelType: string): void {
    this.cache.invalidate(modelType);
  }

  private async change(
    id: string,
    action: LifecycleAction,
    actor: string,
    decide: (test: AbTest, to: AbTestStatus, tx: Tx) => Promise<Change | null>,
    outer?: Tx,
  ): Promise<AbTest> {
    const run = async (tx: Tx): Promise<{ test: AbTest; changed: boolean }> => {
      const test = await this.tests.findForUpdate(tx, id);
      if (!test) throw AbTestError.notFound(id);
      const from = test.status;
      const to = nextStatus(from, action);
      if (to === null) throw AbTestError.invalidTransition(id, from, action, allowedActions(from));
      const change = await decide(test, to, tx);
      if (change === null) return { test, changed: false };
      const updatedAt = new Date();
      await this.tests.update(tx, id, { ...change.changes, updatedAt });
      Object.assign(test, change.changes, { updatedAt });
      if (to === 'completed') await this.completionHook.onTestCompleting(id, tx);
      await this.events.append(tx, { abTestId: id, action: eventAction(from, action), actor, before: change.before, after: change.after });
      await this.changeFeed.publish({ topic: AB_TESTS_TOPIC, key: test.modelType }, tx);
      return { test, changed: true };
    };
    if (outer) return (await run(outer)).test;
    const { test, changed } = await this.transactions.run(run);
    if (changed) this.cache.invalidate(test.modelType);
    return test;
  }
}
