import { Module } from '@nestjs/common';
import { AbTestsModule } from '../ab-tests/ab-tests.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ModelRegistryModule } from '../model-registry/model-registry.module.js';
import { PredictionsModule } from '../predictions/predictions.module.js';
import { SafetyController } from './safety.controller.js';
import { SafetyService } from './safety.service.js';

@Module({
  imports: [AbTestsModule, ModelRegistryModule, MetricsModule, PredictionsModule],
  controllers: [SafetyController],
  providers: [SafetyService],
  exports: [SafetyService],
})
export class SafetyModule {}
