import type { EntityManager } from 'typeorm';
import type { Variant } from './bucketing.js';

/**
 * The seams through which the metrics module plugs into A/B tests without this module
 * depending on it. Until a provider for a token is visible here (the metrics module provides and
 * exports it from a @Global() module), the defaults below apply: zeros, and recording does nothing.
 */

/** Per-variant figures in the seed's `GET /ab-tests/{id}` shape. Latencies in milliseconds. */
export interface VariantMetricsSummary {
  requests: number;
  errors: number;
  error_rate: number;
  avg_latency: number | null;
  p50_latency: number | null;
  p95_latency: number | null;
  p99_latency: number | null;
  /** Custom metrics by name (the metrics module decides each entry's shape). */
  custom: Record<string, unknown>;
}

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
 * Called inside the transaction that completes a test (after the status change, before commit),
 * so the metrics module can freeze the test's results into `ab_tests.metrics` atomically with it.
 * Optional: without a provider, completing does nothing more.
 */
export interface AbTestCompletionHook {
  onTestCompleting(testId: string, manager: EntityManager): Promise<void>;
}
export const AB_TEST_COMPLETION_HOOK = Symbol('AB_TEST_COMPLETION_HOOK');

export function emptyVariantMetrics(): VariantMetricsSummary {
  return { requests: 0, errors: 0, error_rate: 0, avg_latency: 0, p50_latency: 0, p95_latency: 0, p99_latency: 0, custom: {} };
}

/** Before the metrics module is wired: every figure is zero. */
export const ZERO_METRICS_READER: AbTestMetricsReader = {
  summarize: () => Promise.resolve({ variant_a: emptyVariantMetrics(), variant_b: emptyVariantMetrics() }),
};

/** Before the metrics module is wired: values are accepted and dropped. */
export const NOOP_METRIC_RECORDER: AbTestMetricRecorder = {
  recordMetric: () => undefined,
};
