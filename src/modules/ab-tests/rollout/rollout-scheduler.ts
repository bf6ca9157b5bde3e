import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { Transactions, type Tx } from '../../../database/transactions.js';
import { isDatabaseUnavailable } from '../../../common/errors/to-error-response.js';
import { declaredCriteria, guardrailBreaches } from '../../metrics/stats/index.js';
import { AbTestLifecycleService } from '../lifecycle/ab-test-lifecycle.service.js';
import { AbTestResultsService } from '../results/ab-test-results.service.js';
import { AbTestsService, rolloutSplit } from '../ab-tests.service.js';
import { toAuditBreach } from '../results/guardrail.service.js';
import { decideRolloutCheck, type RolloutDecision } from './rollout-decision.js';
import { RolloutStore, type Rollout } from './rollout.store.js';
import { AbTestsConfig } from '../ab-tests.config.js';
import { AbTestMetricsReader } from '../metrics-ports.js';
import { describeError } from '../../../common/logging/describe-error.js';

/** The actor of every audit event the scheduler writes. */
export const ROLLOUT_ACTOR = 'rollout';
/**
 * First key of the scheduler's advisory locks (`pg_try_advisory_xact_lock(ROLLOUT_LOCK_CLASS,
 * hashtext(test_id))`): "ROLL" in ASCII, so it cannot collide with another module's locks.
 */
export const ROLLOUT_LOCK_CLASS = 0x524f4c4c;
/** Rollouts checked per tick at most; the rest are due again on the next tick. */
const MAX_PER_TICK = 50;

/** Where the scheduler gets "now" (tests may move it). */
export const ROLLOUT_CLOCK = Symbol('ROLLOUT_CLOCK');
export type RolloutClock = () => Date;

/**
 * Guarded progressive rollouts (docs/adr/0007-rollout-scheduler.md). Every instance runs this
 * every ROLLOUT_CHECK_MS: it reads the due rollouts from PostgreSQL, computes each one's figures
 * (metric totals, guardrail breaches, sample ratio, recommendation) without locks, then acts in
 * one transaction that claims the rollout — a per-test advisory lock taken without waiting, then
 * the row FOR UPDATE — and re-checks that the rollout is still where it was read. An instance that
 * loses the race skips; a crash before COMMIT leaves nothing done, so the next check (on any
 * instance, or after a restart) decides again. The split change, pause or completion, its audit
 * event (actor `rollout`, with the figures) and the rollout's new state commit together.
 */
@Injectable()
export class RolloutScheduler implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Rollout');
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<number> | null = null;
  private stopped = false;
  private readonly clock: RolloutClock;

  constructor(
    private readonly transactions: Transactions,
    private readonly store: RolloutStore,
    private readonly tests: AbTestsService,
    private readonly lifecycle: AbTestLifecycleService,
    private readonly results: AbTestResultsService,
    private readonly query: AbTestMetricsReader,
    @Inject(AbTestsConfig.token) private readonly config: AbTestsConfig,
    @Optional() @Inject(ROLLOUT_CLOCK) clock?: RolloutClock,
  ) {
    this.clock = clock ?? (() => new Date());
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.rolloutCheckMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.onModuleDestroy();
    await this.ticking;
  }

  /** Checks every due rollout once; returns how many acted (changed something). One tick at a time. */
  tick(): Promise<number> {
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async runTick(): Promise<number> {
    let acted = 0;
    try {
      const due = await this.store.due(this.clock(), MAX_PER_TICK);
      for (const testId of due) {
        if (this.stopped) break;
        try {
          if (await this.check(testId)) acted++;
        } catch (error) {
          const message = `rollout check of A/B test ${testId} failed (retried on the next tick): ${describeError(error)}`;
          if (isDatabaseUnavailable(error)) this.logger.warn(message);
          else this.logger.error(message);
        }
      }
    } catch (error) {
      this.logger.warn(`reading due rollouts failed: ${describeError(error)}`);
    }
    return acted;
  }

  /** One rollout: decide from the figures read now, act under the claim if nothing moved meanwhile. */
  private async check(testId: string): Promise<boolean> {
    const now = this.clock();
    const [rollout, test] = await Promise.all([this.store.find(testId), this.tests.getTest(testId)]);
    if (rollout === null || (rollout.state !== 'ramping' && rollout.state !== 'holding')) return false;

    if (test.status === 'completed') {
      return this.claimed(testId, rollout, now, async (tx) => {
        await this.store.update(tx, testId, { state: 'done', nextCheckAt: null });
        return () => this.logger.log(`rollout of A/B test ${testId} is done: the test was completed (winner ${test.winner ?? 'none'})`);
      });
    }
    if (test.status !== 'active') return false;

    const criteria = declaredCriteria(test.criteria);
    const [{ snapshot, latencyExceedances }, results] = await Promise.all([
      this.query.snapshotWithExceedances(testId, criteria.max_latency_ms),
      this.results.getResults(testId),
    ]);
    const requests = { a: snapshot.a.requests, b: snapshot.b.requests };
    const decision = decideRolloutCheck({
      rollout,
      now,
      requests,
      breaches: guardrailBreaches({ criteria, b: snapshot.b, latencyExceedances: latencyExceedances?.b }),
      sampleRatio: results.sample_ratio,
      recommendation: results.recommendation,
    });
    const nextCheckAt = new Date(now.getTime() + this.config.rolloutCheckMs);
    const modelType = test.modelType;

    return this.claimed(testId, rollout, now, async (tx) => {
      const act = this.describeAction(testId, rollout, decision);
      switch (decision.action) {
        case 'start_step':
          await this.store.update(tx, testId, { stepStartedAt: now, stepBaseline: requests, nextCheckAt });
          return null;
        case 'wait':
          await this.store.update(tx, testId, { state: decision.state, nextCheckAt });
          return null;
        case 'advance': {
          const details = { reason: 'rollout_step', rollout: { ...decision.figures, to_step: decision.toStep, to_share: decision.share }, reasons: decision.reasons };
          await this.lifecycle.changeTrafficSplit(testId, rolloutSplit(decision.share), ROLLOUT_ACTOR, { tx, details });
          const last = decision.toStep >= rollout.steps.length - 1;
          await this.store.update(tx, testId, { currentStep: decision.toStep, state: last ? 'holding' : 'ramping', stepStartedAt: now, stepBaseline: requests, nextCheckAt });
          break;
        }
        case 'rollback': {
          const details = { reason: 'rollout_rollback', rollout: { step: rollout.currentStep, share: rollout.steps[rollout.currentStep] }, breaches: decision.breaches.map(toAuditBreach) };
          await this.lifecycle.changeTrafficSplit(testId, { a: 1, b: 0 }, ROLLOUT_ACTOR, { tx, details });
          await this.lifecycle.pauseTest(testId, ROLLOUT_ACTOR, details, { tx });
          await this.store.update(tx, testId, { state: 'rolled_back', nextCheckAt: null });
          break;
        }
        case 'complete': {
          const details = { reason: 'rollout_auto_complete', rollout: decision.figures, recommendation: results.recommendation.decision, reasons: decision.reasons };
          await this.lifecycle.completeTest(
            testId,
            { winner: decision.winner, promote: decision.promote, notes: `Completed by the rollout: ${decision.reasons.join('; ')}` },
            ROLLOUT_ACTOR,
            { tx, details },
          );
          await this.store.update(tx, testId, { state: 'done', nextCheckAt: null });
          break;
        }
      }
      return () => {
        this.lifecycle.invalidateAfterCommit(modelType);
        act();
      };
    });
  }

  /**
   * Runs `act` in a transaction that holds this rollout's claim, if the rollout is still as read
   * (same step, state and step start) and still due. `act` returns what to do after COMMIT (log,
   * invalidate) or null when it only moved the rollout's own clock. True when it changed the test.
   */
  private async claimed(
    testId: string,
    read: Rollout,
    now: Date,
    act: (tx: Tx) => Promise<(() => void) | null>,
  ): Promise<boolean> {
    const after = await this.transactions.run(async (tx) => {
      const current = await this.store.claim(tx, testId, ROLLOUT_LOCK_CLASS);
      if (current === null) return undefined;
      const unchanged =
        current.state === read.state &&
        current.currentStep === read.currentStep &&
        (current.stepStartedAt?.getTime() ?? null) === (read.stepStartedAt?.getTime() ?? null) &&
        (current.nextCheckAt === null || current.nextCheckAt.getTime() <= now.getTime());
      if (!unchanged) return undefined;
      return act(tx);
    });
    if (after === undefined) return false;
    if (after === null) return false;
    after();
    return true;
  }

  private describeAction(testId: string, rollout: Rollout, decision: RolloutDecision): () => void {
    return () => {
      switch (decision.action) {
        case 'advance':
          this.logger.log(`A/B test ${testId}: rollout step ${rollout.currentStep} → ${decision.toStep}, b at ${decision.share} (${decision.reasons.join('; ')})`);
          return;
        case 'rollback':
          this.logger.warn(`A/B test ${testId}: rolled back at step ${rollout.currentStep} (b to 0, test paused): ${decision.breaches.map((b) => b.reason).join('; ')}`);
          return;
        case 'complete':
          this.logger.log(`A/B test ${testId}: completed by the rollout, winner ${decision.winner ?? 'none'}${decision.promote ? ' (promoted)' : ''}: ${decision.reasons.join('; ')}`);
          return;
        default:
          return;
      }
    };
  }
}
