import type { Tx } from '../../database/transactions.js';

import type { MetricBatch } from '../metrics/metric-events.js';
import type { IngestGuard, IngestResult } from '../metrics/metrics-ingestion.service.js';
import type {
  LookInterval,
  SnapshotPair,
  SnapshotWithExceedances,
  Timeseries,
  TimeseriesInterval,
  TimeseriesMetric,
  TimeRange,
  VariantSummary,
} from '../metrics/metrics-query.service.js';
import type { Variant } from '../../common/variant.js';

/**
 * What the A/B tests module needs of the metrics module, as abstract classes used as DI tokens: no
 * ab-tests class injects a metrics service. AbTestsModule binds each port to the metrics service
 * that fits it (ab-tests.module.ts; the binding is type-checked there). The binding lives on this
 * side because metrics never imports ab-tests (ab-tests imports metrics; the seam the other way is
 * metrics' RecordingTestsPort). Unit specs pass fakes.
 */

/** Per-variant figures of `GET /ab-tests/{id}`, as the metrics module builds them. */
export type VariantMetricsSummary = VariantSummary;

export interface AbTestMetricsSummary {
  variant_a: VariantMetricsSummary;
  variant_b: VariantMetricsSummary;
}

/** Reads of a test's aggregates: the `metrics` object of `GET /ab-tests/{id}`, results, chart series. */
export abstract class AbTestMetricsReader {
  /** The same reads on a transaction's connection (freezing results while the test row is locked). */
  abstract within(tx: Tx): AbTestMetricsReader;
  /** The per-variant summary of `GET /ab-tests/{id}`. */
  abstract summarize(testId: string): Promise<AbTestMetricsSummary>;
  /** Everything recorded per variant, and the latency observations above the threshold (null without one). */
  abstract snapshotWithExceedances(testId: string, latencyThresholdMs: number | undefined): Promise<SnapshotWithExceedances>;
  /** Cumulative snapshots at the end of each completed hour or day: the earlier looks of the always-valid p-value. */
  abstract looks(testId: string, interval: LookInterval, now: Date): Promise<SnapshotPair[]>;
  /** One metric per bucket for charts. */
  abstract timeseries(testId: string, metric: TimeseriesMetric, interval: TimeseriesInterval, range: TimeRange): Promise<Timeseries>;
}

/** This instance's in-process recording of metrics. */
export abstract class AbTestMetricRecorder {
  /** Where `AbTestsService.recordMetric` (a custom metric recorded in-process) sends values. Never throws. */
  abstract recordMetric(testId: string, variant: Variant, name: string, value: number): void;
  /** Writes what this instance has buffered; resolves once it is in PostgreSQL, rejects if the write failed. */
  abstract flushNow(): Promise<void>;
  /**
   * Calls `listener` with the ids of the tests whose aggregates changed, after every committed
   * write (in-process flushes and ingested batches); returns the unsubscribe function.
   */
  abstract onFlushed(listener: (testIds: string[]) => void): () => void;
}

/** Stores a parsed metric batch (`POST /ab-tests/{id}/metrics`). */
export abstract class AbTestMetricIngestion {
  /**
   * The whole batch in one transaction, after `guard` (which locks and checks the test) ran in it;
   * resolves once the batch is durable.
   */
  abstract ingest(testId: string, events: MetricBatch, guard: IngestGuard): Promise<IngestResult>;
}

/** Freezes a test's results when it completes. */
export abstract class AbTestCompletionHook {
  /**
   * Before the completion transaction, outside the row lock (e.g. flush buffered metrics so the
   * frozen results hold them). Must not throw: a failure here must not block completing.
   */
  abstract beforeTestCompletes(testId: string): Promise<void>;
  /**
   * Inside the transaction that completes the test (after the status change, before commit), so
   * the results are frozen into `ab_tests.metrics` atomically with it. Throwing rolls back.
   */
  abstract onTestCompleting(testId: string, tx: Tx): Promise<void>;
}
