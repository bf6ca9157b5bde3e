import { Injectable, Logger } from '@nestjs/common';
import type { Tx } from '../../../database/transactions.js';
import { AbTestRepository } from '../ab-test.repository.js';
import { AbTestResultsService } from './ab-test-results.service.js';
import { AbTestMetricRecorder, type AbTestCompletionHook } from '../metrics-ports.js';
import { ShadowRecorder } from '../shadow/shadow-recorder.js';

/**
 * The completion hook (AbTestCompletionHook): when a test completes, its final results — the
 * whole /results document and the per-variant summary — are written into `ab_tests.metrics` with the
 * winner and notes, in the completing transaction. From then on the test records nothing (the
 * flusher drops in-process recordings, ingestion answers 409), so the frozen document is exactly
 * what the decision was based on.
 */
@Injectable()
export class ResultsFreezer implements AbTestCompletionHook {
  private readonly logger = new Logger('AbTestResults');

  constructor(
    private readonly metrics: AbTestMetricRecorder,
    private readonly results: AbTestResultsService,
    private readonly tests: AbTestRepository,
    private readonly shadow: ShadowRecorder,
  ) {}

  /**
   * Flushes what this instance has buffered, outside the row lock (the flush locks the row FOR
   * SHARE). A failure is logged and completing goes on: the buffered deltas stay for the next
   * flush, which will drop them because the test is completed by then.
   */
  async beforeTestCompletes(testId: string): Promise<void> {
    try {
      await Promise.all([this.metrics.flushNow(), this.shadow.flushNow()]);
    } catch (error) {
      this.logger.warn(
        `completing A/B test ${testId}: flushing buffered metrics failed, so its frozen results may miss this instance's latest recordings: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async onTestCompleting(testId: string, tx: Tx): Promise<void> {
    const test = await this.tests.findById(testId, tx);
    if (test === null) throw new Error(`A/B test ${testId} vanished while completing`);
    const frozen = await this.results.freeze(test, tx);
    await this.tests.update(tx, testId, { metrics: frozen });
  }
}
