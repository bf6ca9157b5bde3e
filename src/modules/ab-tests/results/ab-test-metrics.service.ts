import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Tx } from '../../../database/transactions.js';
import { AbTestRepository } from '../ab-test.repository.js';
import { isComparisonEvent, parseMetricBatch, type ComparisonEvent } from '../../metrics/metric-events.js';
import type { IngestResult } from '../../metrics/metrics-ingestion.service.js';
import { RecordingTestsPort, type RecordingTests } from '../../metrics/recording-tests.js';
import { AbTestError } from '../ab-tests.errors.js';
import { AbTestMetricIngestion } from '../metrics-ports.js';
import { RUNNING_STATUSES } from '../lifecycle/lifecycle.js';
import { ShadowDeltas } from '../shadow/shadow-deltas.js';
import { ShadowStore } from '../shadow/shadow.store.js';


/** Metric batches posted for a test (`POST /ab-tests/{id}/metrics`). */
@Injectable()
export class AbTestMetricsService {
  constructor(
    private readonly ingestion: AbTestMetricIngestion,
    private readonly tests: AbTestRepository,
    private readonly shadow: ShadowStore,
  ) {}

  /**
   * Validates the body `{events: [...]}` (400 naming the first bad event's index), then stores the
   * whole batch in one transaction that first locks the test row FOR SHARE: 404 for an unknown
   * test, 409 unless it is active or paused. Completing takes that row FOR UPDATE, so a batch is
   * either in the frozen results or refused. Comparison events (shadow tests only, else 409) are
   * added to the shadow tables in the same transaction, exactly as in-process comparisons are.
   * Resolves once the batch is durable.
   */
  async ingestBatch(testId: string, body: unknown): Promise<IngestResult> {
    const events = parseMetricBatch(body);
    const comparisons = events.filter(isComparisonEvent);
    const deltas = comparisons.length > 0 ? toShadowDeltas(comparisons) : null;
    return this.ingestion.ingest(testId, events, async (tx) => {
      const test = await this.tests.lockForRecording(tx, testId);
      if (test === null) throw AbTestError.notFound(testId);
      if (!RUNNING_STATUSES.includes(test.status)) throw AbTestError.notRecording(testId, test.status);
      if (deltas === null) return;
      if (test.mode !== 'shadow') throw AbTestError.comparisonsNeedShadowTest(testId);
      await this.shadow.add(tx, testId, deltas, { a: test.variantA, b: test.variantB });
    });
  }
}

/**
 * Tells the metrics module which tests take in-process recordings (RecordingTestsPort): those in a
 * running status (active or paused: a paused test still receives late outcomes of its requests), held FOR SHARE until the flush commits so none completes halfway through it.
 */
@Injectable()
export class AbTestsRecording implements RecordingTests, OnModuleInit {
  constructor(
    private readonly port: RecordingTestsPort,
    private readonly tests: AbTestRepository,
  ) {}

  onModuleInit(): void {
    this.port.provide(this);
  }

  async lockRecording(tx: Tx, testIds: readonly string[]): Promise<string[]> {
    return (await this.tests.lockRecordingTests(tx, testIds)).map((test) => test.id);
  }
}

function toShadowDeltas(events: readonly ComparisonEvent[]): ShadowDeltas {
  const deltas = new ShadowDeltas();
  const now = new Date();
  for (const event of events) {
    if (event.error_b === true) {
      deltas.errorsB++;
      continue;
    }
    deltas.addComparison(
      {
        labelA: event.label_a,
        labelB: event.label_b!,
        latencyMsA: event.latency_ms_a,
        latencyMsB: event.latency_ms_b!,
        scoreA: event.score_a ?? null,
        scoreB: event.score_b ?? null,
        input: event.input ?? null,
      },
      event.timestamp ? new Date(event.timestamp) : now,
    );
  }
  return deltas;
}
