import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { deleteOlderThan, RetentionJob } from '../../database/retention-job.js';

/**
 * Predictions older than PREDICTION_RETENTION_DAYS go (feedback on them is then 404). What feedback
 * already credited lives on in the metric aggregates, and a completed test's results are frozen.
 */
@Injectable()
export class PredictionRetention implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly job: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.job.register({
      name: 'predictions',
      days: this.config.predictionRetentionDays,
      run: (cutoff, shouldStop) => deleteOlderThan(this.dataSource, 'predictions', 'created_at', cutoff, shouldStop),
    });
  }
}
