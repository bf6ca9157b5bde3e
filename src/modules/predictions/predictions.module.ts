import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AbTestsModule } from '../ab-tests/ab-tests.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ModelRegistryModule } from '../model-registry/model-registry.module.js';
import { FeedbackService } from './feedback.service.js';
import { PhaseTimings, phaseTimings } from './phase-timings.js';
import { PredictionEntity } from './prediction.entity.js';
import { PredictionStore } from './prediction-store.js';
import { PredictionsController } from './predictions.controller.js';
import { ShadowRunner } from './shadow-runner.js';

/**
 * The `predictions` table shared by the safety and conversation modules: the group-commit writer
 * they store predictions with, and feedback on them (`POST /predictions/{id}/feedback`).
 */
@Module({
  imports: [TypeOrmModule.forFeature([PredictionEntity]), AbTestsModule, ModelRegistryModule, MetricsModule],
  controllers: [PredictionsController],
  providers: [PredictionStore, FeedbackService, ShadowRunner, { provide: PhaseTimings, useFactory: phaseTimings }],
  exports: [PredictionStore, PhaseTimings, ShadowRunner],
})
export class PredictionsModule {}
