import { Module } from '@nestjs/common';
import { PredictionsModule } from '../predictions/predictions.module.js';
import { SafetyController } from './safety.controller.js';
import { SafetyService } from './safety.service.js';

/** `POST /safety/check`: the safety_classifier the A/B tests give the user (AbTestedClassifiers). */
@Module({
  imports: [PredictionsModule],
  controllers: [SafetyController],
  providers: [SafetyService],
  exports: [SafetyService],
})
export class SafetyModule {}
