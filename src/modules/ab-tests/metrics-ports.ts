import type { Tx } from '../../database/transactions.js';

import type { VariantSummary } from '../metrics/metrics-query.service.js';
import type { Variant } from '../../common/variant.js';

/**
 * The seams between A/B tests and metrics. AbTestsModule binds them to the metrics module's
 * services (ab-tests.module.ts); unit specs bind fakes.
 */

/** Per-variant figures of `GET /ab-tests/{id}`, as the metrics module builds them. */
export type VariantMetricsSummary = VariantSummary;

export interface AbTestMetricsSummary {
  variant_a: VariantMetricsSummary;
  variant_b: VariantMetricsSummary;
}

/** Builds the `metrics` object of `GET /ab-tests/{id}`. */
export interface AbTestMetricsReader {
  summarize(testId: string): Promise<AbTestMetricsSummary>;
}
export const AB_TEST_METRICS_READER = Symbol('AB_TEST_METRICS_READER');

/** Where `AbTestsService.recordMetric` (a custom metric recorded in-process) sends values. */
export interface AbTestMetricRecorder {
  recordMetric(testId: string, variant: Variant, name: string, value: number): void | Promise<void>;
}
export const AB_TEST_METRIC_RECORDER = Symbol('AB_TEST_METRIC_RECORDER');

/** Freezes a test's results when it completes. */
export interface AbTestCompletionHook {
  /**
   * Before the completion transaction, outside the row lock (e.g. flush buffered metrics so the
   * frozen results hold them). Must not throw: a failure here must not block completing.
   */
  beforeTestCompletes?(testId: string): Promise<void>;
  /**
   * Inside the transaction that completes the test (after the status change, before commit), so
   * the results are frozen into `ab_tests.metrics` atomically with it. Throwing rolls back.
   */
  onTestCompleting(testId: string, tx: Tx): Promise<void>;
}
export const AB_TEST_COMPLETION_HOOK = Symbol('AB_TEST_COMPLETION_HOOK');
