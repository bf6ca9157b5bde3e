import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions.js';
import { testIdsOf, type AggregateRow } from './aggregate-rows.js';
import { AggregateStore } from './aggregate.store.js';
import { RecordingTestsPort } from './recording-tests.js';

export interface FlushOutcome {
  /** False when the flush id was already recorded: an earlier attempt committed (its acknowledgement was lost). */
  applied: boolean;
  /** Tests whose rows are now stored. */
  testIds: string[];
  rows: AggregateRow[];
  /** Tests whose rows were dropped: deleted, or not taking metrics (RecordingTests). */
  droppedTestIds: string[];
}

/** Writes the in-process flushes of MetricsService. */
@Injectable()
export class FlushWriter {
  constructor(
    private readonly transactions: Transactions,
    private readonly store: AggregateStore,
    private readonly recording: RecordingTestsPort,
  ) {}

  /**
   * Applies one in-process flush in its own transaction, at most once per `flushId`:
   * the id is recorded first, so an earlier attempt that did commit makes this one a no-op, and
   * one still in progress (its connection lost after COMMIT was sent) makes this one wait for
   * its outcome. Rows of tests that are gone or not recording are dropped, under a lock that keeps
   * a test from completing halfway through a flush.
   */
  async apply(flushId: string, rows: readonly AggregateRow[]): Promise<FlushOutcome> {
    const testIds = testIdsOf(rows);
    const outcome = await this.transactions.run(async (tx): Promise<FlushOutcome> => {
      if (!(await this.store.claimFlushId(tx, flushId))) return { applied: false, testIds, rows: [...rows], droppedTestIds: [] };
      const kept = new Set(await this.recording.lockRecording(tx, testIds));
      const keptRows = kept.size === testIds.length ? [...rows] : rows.filter((row) => kept.has(row.testId));
      await this.store.upsert(tx, keptRows);
      return { applied: true, testIds: [...kept], rows: keptRows, droppedTestIds: testIds.filter((id) => !kept.has(id)) };
    });
    this.store.notify(outcome.testIds, outcome.rows);
    return outcome;
  }
}
