import { Injectable } from '@nestjs/common';
import type { Tx } from '../../database/transactions.js';

/**
 * Which A/B tests take metrics right now. The ab-tests module owns the tests and their status: it
 * implements this and hands it to RecordingTestsPort at start, so metrics never reads `ab_tests`.
 */
export interface RecordingTests {
  /**
   * Of `testIds` (sorted, lowercase), those that exist and take metrics now, each held (FOR SHARE)
   * until `tx` ends, so that none can complete halfway through the write.
   */
  lockRecording(tx: Tx, testIds: readonly string[]): Promise<string[]>;
}

/**
 * Where the metrics module asks RecordingTests. Metrics cannot import ab-tests (ab-tests imports
 * metrics), so the implementation is bound here when the ab-tests module starts (its onModuleInit,
 * before any flush runs).
 */
@Injectable()
export class RecordingTestsPort implements RecordingTests {
  private source: RecordingTests | null = null;

  provide(source: RecordingTests): void {
    this.source = source;
  }

  lockRecording(tx: Tx, testIds: readonly string[]): Promise<string[]> {
    if (this.source === null) return Promise.reject(new Error('no module provides RecordingTests (the ab-tests module binds it at start)'));
    return this.source.lockRecording(tx, testIds);
  }
}
