import { Module } from '@nestjs/common';
import { MetricsRetention } from './metrics-retention.js';
import { AggregateStore, PostgresAggregateStore } from './aggregate.store.js';
import { FlushWriter } from './flush-writer.js';
import { MetricsIngestionService } from './metrics-ingestion.service.js';
import { MetricsPrometheus } from './metrics-prometheus.js';
import { MetricsQueryService } from './metrics-query.service.js';
import { MetricsService } from './metrics.service.js';
import { MetricsConfig } from './metrics.config.js';
import { RecordingTestsPort } from './recording-tests.js';
import { PrometheusController } from './prometheus.controller.js';

/**
 * Per-variant metrics: in-process recording (MetricsService), batch ingestion
 * (MetricsIngestionService), reads for results and charts (MetricsQueryService) and GET /metrics.
 * The statistics are pure functions in ./stats. AggregateStore owns the metric tables; whether a
 * test takes metrics is asked of RecordingTestsPort, which the ab-tests module binds.
 */
@Module({
  controllers: [PrometheusController],
  providers: [
    MetricsConfig.provider,
    { provide: AggregateStore, useClass: PostgresAggregateStore },
    RecordingTestsPort,
    FlushWriter,
    MetricsService,
    MetricsIngestionService,
    MetricsQueryService,
    MetricsPrometheus,
    MetricsRetention,
  ],
  exports: [MetricsService, MetricsIngestionService, MetricsQueryService, RecordingTestsPort],
})
export class MetricsModule {}
