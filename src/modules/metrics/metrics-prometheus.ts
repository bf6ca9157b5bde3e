import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Registry, type Metric } from 'prom-client';
import type { AggregateRow } from './aggregate-rows.js';
import { AggregateStore } from './aggregate.store.js';
import { LATENCY_METRIC, REQUESTS_METRIC } from './metric-deltas.js';
import { MetricsConfig } from './metrics.config.js';
import { SketchHistogram } from './prometheus-histogram.js';

/** The `metric` label of custom values whose name is over the per-test cap. */
export const OTHER_METRIC_LABEL = '_other';

/** Upper bounds of the latency histogram, in milliseconds. */
export const LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * Prometheus view of what this instance wrote (in-process flushes and ingested batches), updated
 * from the written rows after each commit rather than per call, so recording stays cheap. Its own
 * Registry (not prom-client's global one), so several apps in one process (tests) do not collide.
 * Label values are bounded: A/B test ids (created by admins), variants a/b and, per test, a capped
 * number of custom metric names.
 */
@Injectable()
export class MetricsPrometheus implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly requests: Counter<'ab_test_id' | 'variant'>;
  private readonly errors: Counter<'ab_test_id' | 'variant'>;
  private readonly custom: Counter<'ab_test_id' | 'variant' | 'metric'>;
  private readonly latency: SketchHistogram;
  private readonly unsubscribe: () => void;
  /** Per A/B test, the custom metric names that have their own series. */
  private readonly customNames = new Map<string, Set<string>>();
  private readonly customNamesPerTest: number;

  constructor(store: AggregateStore, @Inject(MetricsConfig.token) config: MetricsConfig) {
    this.customNamesPerTest = config.prometheusCustomMetricsPerTest;
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.requests = new Counter({ name: 'model_ab_requests_total', help: 'Requests recorded per A/B test and variant', labelNames: ['ab_test_id', 'variant'], registers });
    this.errors = new Counter({ name: 'model_ab_errors_total', help: 'Failed requests recorded per A/B test and variant', labelNames: ['ab_test_id', 'variant'], registers });
    this.custom = new Counter({
      name: 'model_ab_custom_metric_total',
      help: 'Custom metric values recorded per A/B test, variant and metric',
      labelNames: ['ab_test_id', 'variant', 'metric'],
      registers,
    });
    this.latency = new SketchHistogram('model_ab_request_latency_ms', 'Request latency in milliseconds per A/B test and variant', LATENCY_BUCKETS_MS);
    // A custom collector: prom-client's registry only calls name, help, type and get() on it.
    this.registry.registerMetric(this.latency as unknown as Metric);
    this.unsubscribe = store.onWritten((_testIds, rows) => this.add(rows));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  private add(rows: readonly AggregateRow[]): void {
    for (const row of rows) {
      if (row.grain !== 'minute') continue;
      const labels = { ab_test_id: row.testId, variant: row.variant };
      if (row.metric === REQUESTS_METRIC) {
        this.requests.inc(labels, row.count);
        if (row.errors > 0) this.errors.inc(labels, row.errors);
        else this.errors.inc(labels, 0);
      } else if (row.metric === LATENCY_METRIC) {
        if (row.sketch) this.latency.addSketch(labels, row.sketch, row.sum);
      } else {
        this.custom.inc({ ...labels, metric: this.customLabel(row.testId, row.metric) }, row.count);
      }
    }
  }

  /**
   * Custom metric names come from service tokens and each one is a series kept for the life of
   * the process: the first PROMETHEUS_CUSTOM_METRICS_PER_TEST names of a test get their own, later
   * ones are counted together as `_other` (nothing is lost; the database keeps every name).
   */
  private customLabel(testId: string, metric: string): string {
    let names = this.customNames.get(testId);
    if (!names) {
      names = new Set();
      this.customNames.set(testId, names);
    }
    if (names.has(metric)) return metric;
    if (names.size >= this.customNamesPerTest) return OTHER_METRIC_LABEL;
    names.add(metric);
    return metric;
  }
}
