import { Injectable } from '@nestjs/common';
import type { Tx } from '../../../database/transactions.js';
import { toVariantSummary, type Timeseries, type TimeseriesInterval, type TimeseriesMetric } from '../../metrics/metrics-query.service.js';
import { computeResults, declaredCriteria } from '../../metrics/stats/index.js';
import { AbTestsService } from '../ab-tests.service.js';
import { AssignmentStore } from '../assignment/assignment.store.js';
import { splitVersionCounts } from '../assignment/split-version-counts.js';
import type { AbTest } from '../entities/ab-test.entity.js';
import { frozenResultsOf, type FrozenResults } from './frozen-results.js';
import { lookInterval } from './look-interval.js';
import { AbTestMetricsReader } from '../metrics-ports.js';
import { withShadowResults, type AbTestResults } from '../shadow/shadow-results.js';
import { ShadowStore } from '../shadow/shadow.store.js';

export interface TimeseriesRequest {
  metric: TimeseriesMetric;
  interval: TimeseriesInterval;
  from?: Date;
  to?: Date;
}

/**
 * The statistics of a test (`GET /ab-tests/{id}/results`), its chart series, and the frozen
 * document a completed test keeps. Everything comes from the aggregates (AbTestMetricsReader),
 * the stored assignments and the test's own declarations; computeResults does the maths.
 */
@Injectable()
export class AbTestResultsService {
  constructor(
    private readonly tests: AbTestsService,
    private readonly assignments: AssignmentStore,
    private readonly query: AbTestMetricsReader,
    private readonly shadow: ShadowStore,
  ) {}

  /** The results contract for a test: live while it runs, the frozen document once completed. */
  async getResults(testId: string): Promise<AbTestResults> {
    const test = await this.tests.getTest(testId);
    if (test.status === 'completed') {
      const frozen = frozenResultsOf(test.metrics);
      if (frozen) return frozen.results;
    }
    return (await this.read(test)).results;
  }

  /** Per-bucket values of one metric for each variant (404 for an unknown test). */
  async getTimeseries(testId: string, request: TimeseriesRequest): Promise<Timeseries> {
    await this.tests.getTest(testId);
    return this.query.timeseries(testId, request.metric, request.interval, { from: request.from, to: request.to });
  }

  /**
   * The results and the per-variant summary of a completing test, read in the completion transaction: the test row is locked FOR UPDATE there, so no flush or batch can add to its
   * aggregates (both lock it FOR SHARE) between this read and the commit.
   */
  async freeze(test: AbTest, tx: Tx): Promise<FrozenResults> {
    const { results, summary } = await this.read(test, tx);
    return { frozen_at: results.computed_at, winner: test.winner, notes: test.notes, ...summary, results };
  }

  private async read(test: AbTest, tx?: Tx): Promise<{ results: AbTestResults; summary: Pick<FrozenResults, 'variant_a' | 'variant_b'> }> {
    const now = new Date();
    const query = tx ? this.query.within(tx) : this.query;
    const reads = [
      () => this.assignments.countAssignments(test.id, tx),
      () => query.snapshotWithExceedances(test.id, declaredCriteria(test.criteria).max_latency_ms),
      () => query.looks(test.id, lookInterval(test.startDate, now), now),
    ] as const;
    // One connection runs one statement at a time: in a transaction read in turn, else in parallel.
    const [counts, totals, looks] = tx
      ? [await reads[0](), await reads[1](), await reads[2]()]
      : await Promise.all([reads[0](), reads[1](), reads[2]()]);
    const document = computeResults({
      testId: test.id,
      status: test.status,
      computedAt: now,
      split: test.trafficSplit,
      assignmentsBySplitVersion: splitVersionCounts(counts, test.splitHistory, test.trafficSplit),
      metricDeclarations: test.metricDefinitions,
      criteria: test.criteria,
      current: totals.snapshot,
      looks,
      latencyExceedances: totals.latencyExceedances?.b,
    });
    const results = test.mode === 'shadow' ? withShadowResults(document, test.criteria, await this.shadow.totals(test.id, tx)) : document;
    return { results, summary: { variant_a: toVariantSummary(totals.snapshot.a), variant_b: toVariantSummary(totals.snapshot.b) } };
  }
}
