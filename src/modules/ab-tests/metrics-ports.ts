import type { EntityManager } from 'typeorm';
import type { Variant } from './assignment/bucketing.js';
import type { VariantSummary } from '../metrics/metrics-query.service.js';

/**
 * The seams between A/B tests and metrics. AbTestsModule binds them to the metrics module's
 * services (ab-tests.module.ts); the defaults below apply where they are not bound (unit tests
 * that build the services by hand): zeros, and recording does nothing.
 */

/** Per-variant figures in the seed's `GET /ab-tests/{id}` shape, as the metrics module builds them. */
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

/** Where `AbTestsService.recordMetric` (the seed's custom-metric call) sends values. */
export interface AbTestMetricRecorder {
  recordMetric(testId: string, variant: Variant, name: string, value: number): void | Promise<void>;
}
export const AB_TEST_METRIC_RECORDER = Symbol('AB_TEST_METRIC_RECORDER');

/**
 * Freezes a test's results when it completes. Optional: without a provider, completing does
 * nothing more.
 */
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
  onTestCompleting(testId: string, manager: EntityManager): Promise<void>;
}
export const AB_TEST_COMPLETION_HOOK = Symbol('AB_TEST_COMPLETION_HOOK');

/** No requests yet: counts are 0, latencies null (0 ms is a real latency). */
export function emptyVariantMetrics(): VariantMetricsSummary {
  return { requests: 0, errors: 0, error_rate: 0, avg_latency: null, p50_latency: null, p95_latency: null, p99_latency: null, custom: {} };
}

/** Before the metrics module is wired: every figure is zero. */
export const ZERO_METRICS_READER: AbTestMetricsReader = {
  summarize: () => Promise.resolve({ variant_a: emptyVariantMetrics(), variant_b: emptyVariantMetrics() }),
};

/** Before the metrics module is wired: values are accepted and dropped. */
export const NOOP_METRIC_RECORDER: AbTestMetricRecorder = {
  recordMetric: () => undefined,
};
