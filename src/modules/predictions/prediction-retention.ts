import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionJob } from '../../database/retention-job.js';
import { PredictionStore } from './prediction.store.js';
import { PredictionsConfig } from './predictions.config.js';

/**
 * Predictions older than PREDICTION_RETENTION_DAYS go (feedback on them is then 404). What feedback
 * already credited lives on in the metric aggregates, and a completed test's results are frozen.
 */
@Injectable()
export class PredictionRetention implements OnModuleInit {
  constructor(
    @Inject(PredictionsConfig.token) private readonly config: PredictionsConfig,
    private readonly store: PredictionStore,
    private readonly job: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.job.register({
      name: 'predictions',
      days: this.config.predictionRetentionDays,
      run: (cutoff, shouldStop) => this.store.deleteOlderThan(cutoff, shouldStop),
    });
  }
}
