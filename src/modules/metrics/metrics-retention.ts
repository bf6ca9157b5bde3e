import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionJob } from '../../database/retention-job.js';
import { AggregateStore } from './aggregate.store.js';
import { MetricsConfig } from './metrics.config.js';

/**
 * Minute-level metric rows older than METRICS_MINUTE_RETENTION_DAYS go; the hour and day roll-ups
 * (metric_rollups) stay, so results, summaries and hourly charts of any age are unchanged (an
 * unbounded read sums the day roll-ups; see planSegments), and a completed test's results are
 * frozen in its row anyway. Only minute-interval charts older than the retention come back empty.
 */
@Injectable()
export class MetricsRetention implements OnModuleInit {
  constructor(
    @Inject(MetricsConfig.token) private readonly config: MetricsConfig,
    private readonly store: AggregateStore,
    private readonly job: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.job.register({
      name: 'metric minute rows',
      days: this.config.metricsMinuteRetentionDays,
      run: (cutoff, shouldStop) => this.store.deleteMinuteRowsBefore(cutoff, shouldStop),
    });
  }
}
