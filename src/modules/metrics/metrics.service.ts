import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../common/errors/to-error-response.js';
import { AggregateRowSet, type AggregateRow } from './aggregate-rows.js';
import { AggregateStore } from './aggregate.store.js';
import { FlushWriter } from './flush-writer.js';
import { MINUTE_MS, minuteOf } from './metric-deltas.js';
import { MetricsConfig } from './metrics.config.js';
import { MetricsRecorder, type DropCounts, type RequestOutcome } from './metrics-recorder.js';
import { describeError } from '../../common/logging/describe-error.js';
import type { Variant } from '../../common/variant.js';

export type { RequestOutcome } from './metrics-recorder.js';

/** A flush that has not been confirmed applied; retried as is, with the same id. */
interface PendingFlush {
  id: string;
  rows: AggregateRow[];
  /** Rows at minute grain: what counts against METRICS_BUFFER_MAX_KEYS. */
  keys: number;
  /** Failed attempts so far. */
  failures: number;
}

/* A flush failing for a reason other than an unreachable database (a bug, a constraint) is
 * retried this many times, then dropped with an error, so one bad batch cannot block the rest. */
const MAX_FAILURES_UNLESS_UNAVAILABLE = 10;
const SHUTDOWN_ATTEMPTS = 3;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * In-process recording (`recordRequest`, `recordMetric`) for the modules in this process: calls
 * add to in-memory aggregates and never wait or throw; every METRICS_FLUSH_MS (and at each minute
 * boundary, and at shutdown) the deltas are added to PostgreSQL in one transaction.
 *
 * Exactly-once across failures: a flush gets an id, recorded in `metric_flushes` in the same
 * transaction. A failed flush is kept with its id and retried before anything newer; if its
 * COMMIT had in fact succeeded (acknowledgement lost), the retry finds the id and skips the rows.
 * Meanwhile new recordings accumulate per minute, bounded by METRICS_BUFFER_MAX_KEYS.
 */
@Injectable()
export class MetricsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly recorder: MetricsRecorder;
  private readonly flushMs: number;
  private pending: PendingFlush | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Flushes run one after another on this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  private flushing = false;
  private failureStreak = 0;
  private lastPruneAt = Date.now();
  private nextFlushAt: number;

  constructor(
    private readonly flushes: FlushWriter,
    private readonly store: AggregateStore,
    @Inject(MetricsConfig.token) config: MetricsConfig,
  ) {
    this.recorder = new MetricsRecorder(config.metricsBufferMaxKeys);
    this.flushMs = config.metricsFlushMs;
    this.nextFlushAt = Date.now() + this.flushMs;
  }

  /** Counts one request of `variant` (with its latency in ms and whether it failed). Never throws. */
  recordRequest(testId: string, variant: Variant, outcome: RequestOutcome): void {
    this.recorder.recordRequest(testId, variant, outcome);
  }

  /**
   * Adds one value of the custom metric `name` (a lowercase slug; results call it
   * `custom:<name>`). Never throws; invalid names and values are dropped and counted.
   */
  recordMetric(testId: string, variant: Variant, name: string, value: number): void {
    this.recorder.recordMetric(testId, variant, name, value);
  }

  /**
   * Writes everything recorded so far; resolves once it is in PostgreSQL, rejects if the write
   * failed (the deltas are kept and retried).
   */
  flushNow(): Promise<void> {
    this.recorder.seal();
    return this.enqueue();
  }

  /**
   * Called with the ids of the tests whose aggregates changed, after every committed write: each
   * in-process flush and each ingested batch. Returns the unsubscribe function.
   */
  onFlushed(listener: (testIds: string[]) => void): () => void {
    return this.store.onWritten((testIds) => listener(testIds));
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.recorder.seal();
    this.reportDrops(this.recorder.takeDrops());
    for (let attempt = 1; ; attempt++) {
      try {
        await this.enqueue();
        return;
      } catch (error) {
        if (attempt >= SHUTDOWN_ATTEMPTS) {
          const rows = (this.pending?.rows.length ?? 0) + this.recorder.keys;
          this.logger.error(`metrics not flushed at shutdown, about ${rows} aggregate rows are lost: ${describeError(error)}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  }

  /*
   * One timer for two jobs: seal the buffer at each minute boundary (so a buffer never spans two
   * minutes) and flush every flushMs.
   */
  private schedule(): void {
    if (this.stopped) return;
    const now = Date.now();
    const nextMinute = minuteOf(now) + MINUTE_MS;
    const delay = Math.max(1, Math.min(this.nextFlushAt, nextMinute + 1) - now);
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    this.recorder.seal(now);
    if (now >= this.nextFlushAt) {
      this.nextFlushAt = now + this.flushMs;
      this.reportDrops(this.recorder.takeDrops());
      if (!this.flushing && (this.pending !== null || this.recorder.hasSealed)) {
        this.enqueue().catch(() => undefined); // logged in write()
      }
      if (now - this.lastPruneAt > PRUNE_EVERY_MS) {
        this.lastPruneAt = now;
        this.store.pruneFlushIds().catch((error: unknown) => this.logger.warn(`pruning metric_flushes failed: ${describeError(error)}`));
      }
    }
    this.schedule();
  }

  private enqueue(): Promise<void> {
    const run = this.chain.then(() => this.flushOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<void> {
    this.flushing = true;
    try {
      if (this.pending) await this.write(this.pending);
      if (!this.recorder.hasSealed) return;
      const rows = new AggregateRowSet();
      for (const buffer of this.recorder.takeSealed()) rows.addBuffer(buffer);
      const list = rows.list();
      this.pending = { id: randomUUID(), rows: list, keys: list.filter((row) => row.grain === 'minute').length, failures: 0 };
      this.recorder.reserveKeys(this.pending.keys);
      await this.write(this.pending);
    } finally {
      this.flushing = false;
    }
  }

  private async write(flush: PendingFlush): Promise<void> {
    try {
      const outcome = await this.flushes.apply(flush.id, flush.rows);
      if (outcome.droppedTestIds.length > 0) {
        this.logger.warn(`dropped in-process metrics of ${outcome.droppedTestIds.length} test(s) that are not active or paused: ${outcome.droppedTestIds.join(', ')}`);
      }
      if (!outcome.applied) this.logger.log(`metrics flush ${flush.id} had already been applied (its acknowledgement was lost); not applying it again`);
      if (this.failureStreak > 0) this.logger.log(`metrics flush succeeded after ${this.failureStreak} failed attempt(s)`);
      this.failureStreak = 0;
      this.pending = null;
      this.recorder.reserveKeys(0);
    } catch (error) {
      flush.failures++;
      this.failureStreak++;
      if (!isDatabaseUnavailable(error) && flush.failures >= MAX_FAILURES_UNLESS_UNAVAILABLE) {
        this.logger.error(`metrics flush ${flush.id} failed ${flush.failures} times; dropping its ${flush.rows.length} rows: ${describeError(error)}`);
        this.pending = null;
        this.recorder.reserveKeys(0);
      } else if (this.failureStreak === 1 || this.failureStreak % 30 === 0) {
        this.logger.warn(
          `metrics flush failed (attempt ${this.failureStreak}); keeping ${flush.rows.length} rows and ${this.recorder.keys} buffered keys for retry: ${describeError(error)}`,
        );
      }
      throw error;
    }
  }

  private reportDrops(drops: DropCounts): void {
    if (drops.shedRequests > 0 || drops.shedValues > 0) {
      this.logger.warn(
        `metrics buffer full (${this.recorder.keys} keys, METRICS_BUFFER_MAX_KEYS ${this.recorder.maxKeys}): shed ${drops.shedRequests} requests and ${drops.shedValues} custom values`,
      );
    }
    const invalid = drops.testId + drops.variant + drops.latency + drops.metricName + drops.value;
    if (invalid > 0) {
      this.logger.debug(
        `dropped invalid metric recordings: test id ${drops.testId}, variant ${drops.variant}, latency ${drops.latency}, metric name ${drops.metricName}, value ${drops.value}`,
      );
    }
  }
}
