import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../../common/errors/to-error-response.js';
import { declaredCriteria, guardrailBreaches, type GuardrailBreach } from '../../metrics/stats/index.js';
import { AbTestRepository } from '../ab-test.repository.js';
import { AbTestLifecycleService } from '../lifecycle/ab-test-lifecycle.service.js';
import { AbTestError } from '../ab-tests.errors.js';
import { AbTestMetricRecorder, AbTestMetricsReader } from '../metrics-ports.js';

/** The actor of the audit events guardrails write. */
export const GUARDRAIL_ACTOR = 'guardrail';
/** At most one check per test per this many ms, however often its metrics are written. */
export const GUARDRAIL_CHECK_INTERVAL_MS = 1000;
/** Tests known not to be guarded (auto_pause and criteria never change after creation); cleared when full. */
const MAX_UNGUARDED = 10_000;
const SWEEP_EVERY_MS = 60_000;

interface CheckState {
  timer: NodeJS.Timeout | null;
  running: boolean;
  /** Written again while a check ran: check once more after it. */
  again: boolean;
  lastStartedAt: number;
}

/**
 * Auto-pause (`auto_pause: true`): after every committed metrics write of an active test — this
 * instance's flushes and ingested batches (AbTestMetricRecorder.onFlushed) — checks b against
 * `max_error_rate` and `max_latency_ms` with guardrailBreaches, which only reports a breach its
 * always-valid bound is confident of. A breach pauses the test through the lifecycle (so the
 * pause is audited with actor `guardrail` and the numbers, and reaches every instance through
 * NOTIFY: everyone gets variant a) and logs a warning.
 *
 * Checks are throttled per test (at most one per GUARDRAIL_CHECK_INTERVAL_MS, never two at once
 * for one test; a write during a check schedules one more). Every instance checks the tests it
 * writes; when two detect the same breach, the second pause is an invalid transition and ignored.
 * The check uses all data of the test, like the results' stop_guardrail: resuming a test whose b
 * is still in breach pauses it again on the next write.
 */
@Injectable()
export class GuardrailService implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Guardrail');
  private readonly states = new Map<string, CheckState>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly unguarded = new Set<string>();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private lastSweepAt = Date.now();

  constructor(
    private readonly tests: AbTestRepository,
    private readonly metrics: AbTestMetricRecorder,
    private readonly query: AbTestMetricsReader,
    private readonly lifecycle: AbTestLifecycleService,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.metrics.onFlushed((testIds) => {
      if (this.stopped) return;
      for (const testId of testIds) this.request(testId);
    });
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const state of this.states.values()) if (state.timer) clearTimeout(state.timer);
    this.states.clear();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves once no check is scheduled or running (tests; a shutdown waits for running ones). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      else if ([...this.states.values()].some((state) => state.timer !== null)) await new Promise((resolve) => setTimeout(resolve, 10));
      else return;
    }
  }

  private request(testId: string): void {
    if (this.unguarded.has(testId)) return;
    const now = Date.now();
    if (now - this.lastSweepAt > SWEEP_EVERY_MS) this.sweep(now);
    let state = this.states.get(testId);
    if (state === undefined) {
      state = { timer: null, running: false, again: false, lastStartedAt: 0 };
      this.states.set(testId, state);
    }
    if (state.running) {
      state.again = true;
      return;
    }
    if (state.timer !== null) return;
    const wait = Math.max(0, state.lastStartedAt + GUARDRAIL_CHECK_INTERVAL_MS - now);
    const scheduled = state;
    state.timer = setTimeout(() => this.run(testId, scheduled), wait);
    state.timer.unref();
  }

  private run(testId: string, state: CheckState): void {
    state.timer = null;
    if (this.stopped) return;
    state.running = true;
    state.lastStartedAt = Date.now();
    const check = this.check(testId)
      .catch((error: unknown) => {
        // The next write checks again; an unreachable database is not a bug here.
        const message = `guardrail check of A/B test ${testId} failed: ${error instanceof Error ? error.message : String(error)}`;
        if (isDatabaseUnavailable(error)) this.logger.warn(message);
        else this.logger.error(message);
      })
      .finally(() => {
        state.running = false;
        this.inFlight.delete(check);
        if (state.again && !this.stopped) {
          state.again = false;
          this.request(testId);
        }
      });
    this.inFlight.add(check);
  }

  private async check(testId: string): Promise<void> {
    const test = await this.tests.findGuarded(testId);
    const criteria = declaredCriteria(test?.criteria);
    if (test === null || !test.autoPause || (criteria.max_error_rate === undefined && criteria.max_latency_ms === undefined)) {
      this.markUnguarded(testId);
      return;
    }
    if (test.status !== 'active') return;
    const { snapshot, latencyExceedances } = await this.query.snapshotWithExceedances(testId, criteria.max_latency_ms);
    const breaches = guardrailBreaches({ criteria, b: snapshot.b, latencyExceedances: latencyExceedances?.b });
    if (breaches.length === 0) return;
    try {
      await this.lifecycle.pauseTest(testId, GUARDRAIL_ACTOR, { reason: 'guardrail', breaches: breaches.map(toAuditBreach) });
    } catch (error) {
      // Paused or completed meanwhile (by an admin, or by another instance's guardrail).
      if (error instanceof AbTestError && error.code === 'INVALID_TRANSITION') return;
      throw error;
    }
    this.logger.warn(`paused A/B test ${testId} (auto_pause): ${breaches.map((breach) => breach.reason).join('; ')}`);
  }

  private markUnguarded(testId: string): void {
    if (this.unguarded.size >= MAX_UNGUARDED) this.unguarded.clear();
    this.unguarded.add(testId);
    this.states.delete(testId);
  }

  /* Forgets tests not checked for a while, so the map holds only tests that are being written. */
  private sweep(now: number): void {
    this.lastSweepAt = now;
    for (const [testId, state] of this.states) {
      if (!state.running && state.timer === null && now - state.lastStartedAt > GUARDRAIL_CHECK_INTERVAL_MS) this.states.delete(testId);
    }
  }
}

/** A breach as the audit event records it (snake_case, like every event's before/after). */
export function toAuditBreach(breach: GuardrailBreach): Record<string, unknown> {
  return {
    criterion: breach.criterion,
    threshold: breach.threshold,
    observed: breach.observed,
    n: breach.n,
    lower_bound: breach.lowerBound,
    reason: breach.reason,
  };
}
