import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AbTestsModule } from '../ab-tests/ab-tests.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ModelRegistryModule } from '../model-registry/model-registry.module.js';
import { FeedbackService } from './feedback.service.js';
import { AbTestsFeedbackTests, FeedbackTests, ModelLabels, RuntimeModelLabels } from './feedback-ports.js';
import { AbTestedClassifiers, ServingClassifiers } from './ab-tested-classifier.js';
import { PhaseTimings, phaseTimings } from './phase-timings.js';
import { PredictionEntity } from './prediction.entity.js';
import { PostgresPredictionStore, PredictionStore } from './prediction.store.js';
import { PredictionsConfig } from './predictions.config.js';
import { PredictionRetention } from './prediction-retention.js';
import { PredictionsController } from './predictions.controller.js';
import { ShadowRunner } from './shadow-runner.js';

/**
 * Classifying text through the model version the A/B tests give a user (AbTestedClassifiers, what
 * the safety and conversation modules inject), the `predictions` table each classification is
 * stored in (PredictionStore), feedback on them (`POST /predictions/{id}/feedback`) and the shadow
 * runner that answers a shadow test's b off the request path.
 */
@Module({
  imports: [TypeOrmModule.forFeature([PredictionEntity]), AbTestsModule, ModelRegistryModule, MetricsModule],
  controllers: [PredictionsController],
  providers: [
    PredictionsConfig.provider,
    { provide: PredictionStore, useClass: PostgresPredictionStore },
    { provide: AbTestedClassifiers, useClass: ServingClassifiers },
    { provide: FeedbackTests, useClass: AbTestsFeedbackTests },
    { provide: ModelLabels, useClass: RuntimeModelLabels },
    FeedbackService,
    ShadowRunner,
    PredictionRetention,
    { provide: PhaseTimings, useFactory: phaseTimings },
  ],
  exports: [AbTestedClassifiers],
})
export class PredictionsModule {}
