import { Module } from '@nestjs/common';
import { ModelRegistryModule } from '../model-registry/model-registry.module.js';
import { ActiveTestsCache } from './active-tests.cache.js';
import { AbTestLifecycleService } from './ab-test-lifecycle.service.js';
import { AbTestsController } from './ab-tests.controller.js';
import { AbTestsService } from './ab-tests.service.js';
import { AssignmentController } from './assignment.controller.js';
import { AssignmentWriter } from './assignment-writer.js';
import { AssignmentService } from './assignment.service.js';

/**
 * A/B tests: create, lifecycle, audit log and the assignment hot path. Exports AssignmentService
 * (what conversation and safety inject), AbTestsService (reads) and AbTestLifecycleService (e.g. a
 * guardrail pausing a test). The metrics module plugs in without this module importing it: it
 * provides AB_TEST_METRICS_READER, AB_TEST_METRIC_RECORDER and AB_TEST_COMPLETION_HOOK
 * (metrics-ports.ts) from a @Global() module; each is optional here.
 */
@Module({
  imports: [ModelRegistryModule],
  controllers: [AssignmentController, AbTestsController],
  providers: [ActiveTestsCache, AssignmentWriter, AssignmentService, AbTestsService, AbTestLifecycleService],
  exports: [AssignmentService, AbTestsService, AbTestLifecycleService],
})
export class AbTestsModule {}
