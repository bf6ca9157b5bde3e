import { Module } from '@nestjs/common';
import { MetricsRetention } from './metrics-retention.js';
import { AggregateStore } from './aggregate-store.js';
import { MetricsIngestionService } from './metrics-ingestion.service.js';
import { MetricsPrometheus } from './metrics-prometheus.js';
import { MetricsQueryService } from './metrics-query.service.js';
import { MetricsService } from './metrics.service.js';
import { PrometheusController } from './prometheus.controller.js';

/**
 * Per-variant metrics: in-process recording (MetricsService), batch ingestion
 * (MetricsIngestionService), reads for results and charts (MetricsQueryService) and GET /metrics.
 * The statistics are pure functions in ./stats.
 */
@Module({
  controllers: [PrometheusController],
  providers: [AggregateStore, MetricsService, MetricsIngestionService, MetricsQueryService, MetricsPrometheus, MetricsRetention],
  exports: [MetricsService, MetricsIngestionService, MetricsQueryService],
})
export class MetricsModule {}
