import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricsModule } from '../metrics/metrics.module.js';
import { MetricsIngestionService } from '../metrics/metrics-ingestion.service.js';
import { MetricsQueryService } from '../metrics/metrics-query.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ModelRegistryModule } from '../model-registry/model-registry.module.js';
import { AbTestRepository, PostgresAbTestRepository } from './ab-test.repository.js';
import { AbTestsConfig } from './ab-tests.config.js';
import { ActiveTestsCache } from './assignment/active-tests.cache.js';
import { AssignmentStore, PostgresAssignmentStore } from './assignment/assignment.store.js';
import { AbTestEventRepository, PostgresAbTestEventRepository } from './lifecycle/ab-test-event.repository.js';
import { AbTestLifecycleService } from './lifecycle/ab-test-lifecycle.service.js';
import { AbTestMetricsController } from './results/ab-test-metrics.controller.js';
import { AbTestMetricsService, AbTestsRecording } from './results/ab-test-metrics.service.js';
import { AbTestResultsService } from './results/ab-test-results.service.js';
import { AbTestsController } from './ab-tests.controller.js';
import { AbTestsService } from './ab-tests.service.js';
import { AssignmentController } from './assignment/assignment.controller.js';
import { AssignmentWriter } from './assignment/assignment-writer.js';
import { AssignmentService } from './assignment/assignment.service.js';
import { AbTest } from './entities/ab-test.entity.js';
import { AbTestAssignment } from './entities/ab-test-assignment.entity.js';
import { AbTestEvent } from './entities/ab-test-event.entity.js';
import { GuardrailService } from './results/guardrail.service.js';
import { AbTestCompletionHook, AbTestMetricIngestion, AbTestMetricRecorder, AbTestMetricsReader } from './metrics-ports.js';
import { ResultsFreezer } from './results/results-freezer.js';
import { ShadowTestsController } from './shadow/shadow-tests.controller.js';
import { RolloutScheduler } from './rollout/rollout-scheduler.js';
import { RolloutStore } from './rollout/rollout.store.js';
import { ShadowRecorder } from './shadow/shadow-recorder.js';
import { ShadowStore } from './shadow/shadow.store.js';
import { ShadowTestsService } from './shadow/shadow-tests.service.js';

/**
 * A/B tests: create, lifecycle, audit log, the assignment hot path, and the test's view of its
 * metrics (ingestion route, results, timeseries, frozen results, guardrails), shadow tests
 * (comparisons, disagreements, graduation) and the rollout scheduler. Exports AssignmentService
 * (what conversation and safety inject), AbTestsService (reads), AbTestLifecycleService and
 * ShadowRecorder (where the predictions module's shadow runner reports). Depends on MetricsModule, never the other way round: the
 * ports of metrics-ports.ts are bound here to the metrics module's services (each factory's return type checks that the service
 * fits its port), and no other ab-tests class names a metrics service.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AbTest, AbTestAssignment, AbTestEvent]), ModelRegistryModule, MetricsModule],
  controllers: [AssignmentController, AbTestsController, AbTestMetricsController, ShadowTestsController],
  providers: [
    AbTestsConfig.provider,
    { provide: AbTestRepository, useClass: PostgresAbTestRepository },
    { provide: AbTestEventRepository, useClass: PostgresAbTestEventRepository },
    { provide: AssignmentStore, useClass: PostgresAssignmentStore },
    ActiveTestsCache,
    AssignmentWriter,
    AssignmentService,
    AbTestsService,
    AbTestLifecycleService,
    AbTestMetricsService,
    AbTestsRecording,
    AbTestResultsService,
    ResultsFreezer,
    GuardrailService,
    ShadowStore,
    ShadowRecorder,
    ShadowTestsService,
    RolloutStore,
    RolloutScheduler,
    { provide: AbTestMetricsReader, useFactory: (query: MetricsQueryService): AbTestMetricsReader => query, inject: [MetricsQueryService] },
    { provide: AbTestMetricRecorder, useFactory: (metrics: MetricsService): AbTestMetricRecorder => metrics, inject: [MetricsService] },
    { provide: AbTestMetricIngestion, useFactory: (ingestion: MetricsIngestionService): AbTestMetricIngestion => ingestion, inject: [MetricsIngestionService] },
    { provide: AbTestCompletionHook, useExisting: ResultsFreezer },
  ],
  exports: [AssignmentService, AbTestsService, AbTestLifecycleService, ShadowRecorder],
})
export class AbTestsModule {}
