import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Transactions } from '../../../database/transactions.js';
import { AbTestRepository } from '../ab-test.repository.js';
import { ShadowDeltas, type Comparison } from './shadow-deltas.js';
import { ShadowStore } from './shadow.store.js';
import { AbTestsConfig } from '../ab-tests.config.js';

/** Tests whose deltas a failed flush keeps for the next one; beyond that the oldest are dropped (and logged). */
const MAX_BUFFERED_TESTS = 10_000;

/**
 * In-process shadow results: comparisons, b's failures and dropped comparisons are added to
 * in-memory deltas (O(1), no I/O) and written every METRICS_FLUSH_MS in one transaction, like
 * the metric recorder. Deltas of tests that are not recording shadow tests any more (completed,
 * deleted) are dropped at flush. A failed flush keeps its deltas for the next one.
 */
@Injectable()
export class ShadowRecorder implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Shadow');
  private pending = new Map<string, ShadowDeltas>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly transactions: Transactions,
    private readonly tests: AbTestRepository,
    private readonly store: ShadowStore,
    @Inject(AbTestsConfig.token) private readonly config: AbTestsConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flushNow().catch(() => undefined), this.config.metricsFlushMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushNow().catch(() => undefined);
  }

  recordComparison(testId: string, comparison: Comparison): void {
    this.deltas(testId).addComparison(comparison);
  }

  /** b failed on a sampled request: b's error, never the user's. */
  recordError(testId: string): void {
    this.deltas(testId).errorsB++;
  }

  /** A sampled request whose comparison was not made because the queue was full. */
  recordDrop(testId: string): void {
    this.deltas(testId).dropped++;
  }

  /** Writes what is buffered; concurrent calls share one flush and then run one more if needed. */
  async flushNow(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    this.flushing = this.flush().finally(() => (this.flushing = null));
    await this.flushing;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    try {
      const dropped = await this.transactions.run(async (tx) => {
        const recording = new Map((await this.tests.lockRecordingTests(tx, [...batch.keys()], 'shadow')).map((t) => [t.id, { a: t.variantA, b: t.variantB }]));
        for (const [testId, deltas] of batch) {
          const versions = recording.get(testId);
          if (versions) await this.store.add(tx, testId, deltas, versions);
        }
        return [...batch.keys()].filter((testId) => !recording.has(testId));
      });
      if (dropped.length > 0) this.logger.debug(`dropped shadow comparisons of tests that no longer record: ${dropped.join(', ')}`);
    } catch (error) {
      for (const [testId, deltas] of batch) {
        const newer = this.pending.get(testId);
        if (newer) deltas.merge(newer);
        this.pending.set(testId, deltas);
      }
      while (this.pending.size > MAX_BUFFERED_TESTS) {
        const oldest = this.pending.keys().next().value!;
        this.pending.delete(oldest);
        this.logger.error(`shadow comparisons of A/B test ${oldest} discarded: the buffer is full and flushes keep failing`);
      }
      this.logger.warn(`flushing shadow comparisons failed (kept for the next flush): ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  private deltas(testId: string): ShadowDeltas {
    let deltas = this.pending.get(testId);
    if (deltas === undefined) {
      deltas = new ShadowDeltas();
      this.pending.set(testId, deltas);
    }
    return deltas;
  }
}
