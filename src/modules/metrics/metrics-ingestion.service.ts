import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { isRetryableTransactionFailure, sqlStateOf, SQLSTATE } from '../../common/errors/postgres-errors.js';
import { AggregateRowSet, type AggregateRow } from './aggregate-rows.js';
import { AggregateStore } from './aggregate.store.js';
import { isUuid } from '../../common/validation/uuid.js';
import { Transactions, type Tx } from '../../database/transactions.js';
import { CUSTOM_PREFIX, DeltaBuffer, minuteOf, TestDeltas, ValueDeltas } from './metric-deltas.js';
import type { MetricBatch, MetricEvent } from './metric-events.js';
import { abTestNotFound } from '../../common/errors/ab-test-not-found.js';

export interface IngestResult {
  /** Events stored: the whole batch. */
  accepted: number;
  /** Request outcomes among them. */
  requests: number;
  /** Custom metric values among them. */
  custom: number;
  /** Comparison events among them (shadow tests; stored by the guard's caller, not here). */
  comparisons: number;
}

/**
 * Runs inside the ingestion transaction before anything is written, e.g. to lock the test row
 * FOR SHARE and refuse a draft or completed test by throwing a DomainError. Throwing rolls the
 * batch back. Batches arriving together may share one transaction (group commit): a DomainError
 * refuses only this batch; any other error makes every batch of the group retry on its own.
 * It may also write (e.g. a shadow test's comparisons), which then commits or rolls back with the batch.
 */
export type IngestGuard = (tx: Tx) => Promise<void>;

interface QueuedBatch {
  testId: string;
  rows: AggregateRow[];
  guard: IngestGuard | undefined;
  /** Its guard refused it (already rejected). */
  refused?: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/* Thrown when COMMIT itself failed: the outcome is unknown, so nothing may be retried. */
class CommitOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super('commit outcome unknown', { cause });
  }
}

const MAX_ATTEMPTS = 3;
/** Most batches written in one transaction. */
const MAX_GROUP = 64;

/**
 * Metric batches from outside the process (`POST /ab-tests/{id}/metrics`). A batch, validated
 * once by parseMetricBatch on the route, is aggregated in memory per (variant, metric, minute) and added to the aggregates in one
 * transaction: when `ingest` resolves the batch is durable, when it throws nothing of it is stored.
 *
 * Group commit: concurrent batches share rows (same test, same minute), and each transaction holds
 * those rows' locks until its COMMIT is on disk, so one transaction per batch would serialise on
 * the disk flush. While one transaction is in flight, arriving batches queue; the next transaction
 * takes all of them (guards run one by one, rows are summed in memory and written in one
 * statement). A lone batch is written at once, so an idle service adds no latency.
 */
@Injectable()
export class MetricsIngestionService {
  private readonly queue: QueuedBatch[] = [];
  private writing = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly store: AggregateStore,
  ) {}

  /** Stores a batch parseMetricBatch accepted; resolves once it is durable. */
  async ingest(testId: string, events: MetricBatch, guard?: IngestGuard): Promise<IngestResult> {
    if (!isUuid(testId)) throw abTestNotFound(testId);
    const now = Date.now();
    const { rows, requests, custom, comparisons } = aggregateEvents(testId, events, now);
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ testId: testId.toLowerCase(), rows: rows.list(), guard, resolve, reject });
      this.drain();
    });
    return { accepted: events.length, requests, custom, comparisons };
  }

  private drain(): void {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const group = this.queue.splice(0, MAX_GROUP);
    void this.writeGroup(group).finally(() => {
      this.writing = false;
      this.drain();
    });
  }

  private async writeGroup(group: QueuedBatch[]): Promise<void> {
    if (group.length > 1) {
      let written: QueuedBatch[];
      try {
        written = await this.transaction(group);
      } catch (error) {
        if (error instanceof CommitOutcomeUnknown) {
          for (const batch of group) batch.reject(error.cause);
          return;
        }
        // Rolled back before COMMIT: give each batch its own transaction, so one bad batch fails alone.
        for (const batch of group) if (!batch.refused) await this.writeAlone(batch);
        return;
      }
      for (const batch of written) batch.resolve();
      return;
    }
    await this.writeAlone(group[0]!);
  }

  private async writeAlone(batch: QueuedBatch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await this.transaction([batch]);
        if (written.length > 0) batch.resolve();
        return;
      } catch (error) {
        const cause = error instanceof CommitOutcomeUnknown ? error.cause : error;
        // A serialization failure or deadlock before COMMIT rolled everything back: safe to retry.
        if (!(error instanceof CommitOutcomeUnknown) && isRetryableTransactionFailure(cause) && attempt < MAX_ATTEMPTS) continue;
        // A foreign-key violation: the test row is gone (no guard, or it was deleted concurrently).
        batch.reject(sqlStateOf(cause) === SQLSTATE.FOREIGN_KEY_VIOLATION ? abTestNotFound(batch.testId) : cause);
        return;
      }
    }
  }

  /**
   * One transaction for the batches: their guards (a DomainError refuses that batch alone), then
   * their summed rows in one upsert. Returns the batches written; throws CommitOutcomeUnknown when
   * COMMIT failed, anything else when the transaction rolled back.
   */
  private async transaction(batches: QueuedBatch[]): Promise<QueuedBatch[]> {
    const written: QueuedBatch[] = [];
    let rows: AggregateRow[] = [];
    // Set once the work is done: a failure after that is the COMMIT's.
    let committing = false;
    try {
      await this.transactions.run(async (tx) => {
        for (const batch of batches) {
          try {
            if (batch.guard) await batch.guard(tx);
            written.push(batch);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            batch.refused = true;
            batch.reject(error);
          }
        }
        rows = written.length === 1 ? written[0]!.rows : merged(written);
        await this.store.upsert(tx, rows);
        committing = true;
      });
    } catch (error) {
      throw committing ? new CommitOutcomeUnknown(error) : error;
    }
    if (written.length > 0) this.store.notify([...new Set(written.map((batch) => batch.testId))], rows);
    return written;
  }
}

function merged(batches: readonly QueuedBatch[]): AggregateRow[] {
  const set = new AggregateRowSet();
  for (const batch of batches) set.addRows(batch.rows);
  return set.list();
}

/** Validated events → aggregate rows at every grain, with the request and custom-value counts. */
export function aggregateEvents(
  testId: string,
  events: readonly MetricEvent[],
  now: number,
): { rows: AggregateRowSet; requests: number; custom: number; comparisons: number } {
  const nowMinute = minuteOf(now);
  const buffers = new Map<number, DeltaBuffer>();
  const testOf = (minute: number): TestDeltas => {
    let buffer = buffers.get(minute);
    if (buffer === undefined) {
      buffer = new DeltaBuffer(minute);
      buffers.set(minute, buffer);
    }
    let test = buffer.tests.get(testId);
    if (test === undefined) {
      test = new TestDeltas();
      buffer.tests.set(testId, test);
    }
    return test;
  };
  let requests = 0;
  let custom = 0;
  let comparisons = 0;
  let lastTimestamp: string | null = null;
  let lastMinute = nowMinute;
  for (const event of events) {
    // A shadow test's comparison: not a request of either variant (the guard stores it).
    if (event.type === 'comparison') {
      comparisons++;
      continue;
    }
    let minute = nowMinute;
    if (event.timestamp !== undefined && event.timestamp !== null) {
      // Batches usually carry runs of equal or same-minute timestamps: parse each string once.
      if (event.timestamp !== lastTimestamp) {
        lastTimestamp = event.timestamp;
        lastMinute = minuteOf(Date.parse(event.timestamp));
      }
      minute = lastMinute;
    }
    const deltas = testOf(minute)[event.variant!];
    if (event.metric !== undefined && event.metric !== null) {
      const metric = CUSTOM_PREFIX + event.metric;
      let values = deltas.custom?.get(metric);
      if (values === undefined) {
        values = new ValueDeltas();
        (deltas.custom ??= new Map()).set(metric, values);
      }
      values.add(event.value!);
      custom++;
    } else {
      deltas.requests++;
      if (event.error === true) deltas.errors++;
      if (event.latency_ms !== undefined && event.latency_ms !== null) deltas.latency.add(event.latency_ms);
      requests++;
    }
  }
  const rows = new AggregateRowSet();
  for (const buffer of buffers.values()) rows.addBuffer(buffer);
  return { rows, requests, custom, comparisons };
}
