import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { parseMetricBatch } from '../metrics/metric-events.js';
import { MetricsIngestionService, type IngestResult } from '../metrics/metrics-ingestion.service.js';
import { AbTestError } from './ab-tests.errors.js';
import type { AbTestStatus } from './lifecycle.js';

/** Statuses that take metric events: a paused test still receives late outcomes of its requests. */
const RECORDING: ReadonlySet<AbTestStatus> = new Set(['active', 'paused']);

/** Metric batches posted for a test (`POST /ab-tests/{id}/metrics`). */
@Injectable()
export class AbTestMetricsService {
  constructor(private readonly ingestion: MetricsIngestionService) {}

  /**
   * Validates the body `{events: [...]}` (400 naming the first bad event's index), then stores the
   * whole batch in one transaction that first locks the test row FOR SHARE: 404 for an unknown
   * test, 409 unless it is active or paused. Completing takes that row FOR UPDATE, so a batch is
   * either in the frozen results or refused. Resolves once the batch is durable.
   */
  async ingestBatch(testId: string, body: unknown): Promise<IngestResult> {
    const events = parseMetricBatch(body);
    return this.ingestion.ingest(testId, events, (manager) => assertRecording(manager, testId));
  }
}

async function assertRecording(manager: EntityManager, testId: string): Promise<void> {
  const rows = (await manager.query('SELECT status::text AS status FROM ab_tests WHERE id = $1 FOR SHARE', [testId])) as Array<{ status: AbTestStatus }>;
  const status = rows[0]?.status;
  if (status === undefined) throw AbTestError.notFound(testId);
  if (!RECORDING.has(status)) throw AbTestError.notRecording(testId, status);
}
