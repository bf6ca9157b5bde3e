import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { testIdsOf, toUpsertParams, type AggregateRow } from './aggregate-rows.js';

/* Columns a row adds to; min/max/sketch merge with LEAST/GREATEST (which skip NULLs) and the sketch merge. */
const ADD_ON_CONFLICT = `
    count = t.count + excluded.count,
    errors = t.errors + excluded.errors,
    sum = t.sum + excluded.sum,
    sum_squares = t.sum_squares + excluded.sum_squares,
    min = LEAST(t.min, excluded.min),
    max = GREATEST(t.max, excluded.max),
    sketch = metric_sketch_merge(t.sketch, excluded.sketch)`;

const VALUE_COLUMNS = 'ab_test_id, metric, variant, bucket_start, count, errors, sum, sum_squares, min, max, sketch';

/*
 * One statement, one round trip: minute rows into metric_aggregates and hour/day rows into
 * metric_rollups, each `x = x + excluded.x`, so concurrent writers (instances, ingestion requests)
 * add up instead of overwriting. The input is unique per key and sorted (AggregateRowSet), so
 * writers lock shared rows in the same order.
 */
const UPSERT_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::bigint[],
                         $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::jsonb[])
      AS i(grain, ab_test_id, variant, metric, bucket_start, count, errors, sum, sum_squares, min, max, sketch)
  ), minutes AS (
    INSERT INTO metric_aggregates AS t (${VALUE_COLUMNS})
    SELECT ${VALUE_COLUMNS} FROM input WHERE grain = 'minute'
    ON CONFLICT (ab_test_id, metric, variant, bucket_start) DO UPDATE SET ${ADD_ON_CONFLICT}
  )
  INSERT INTO metric_rollups AS t (grain, ${VALUE_COLUMNS})
  SELECT grain, ${VALUE_COLUMNS} FROM input WHERE grain <> 'minute'
  ON CONFLICT (ab_test_id, grain, metric, variant, bucket_start) DO UPDATE SET ${ADD_ON_CONFLICT}`;

/** Test statuses whose in-process recordings are stored; anything else is dropped at flush. */
export const RECORDING_STATUSES = ['active', 'paused'] as const;

/** How long applied flush ids are kept: a flush retried later than this could be applied twice. */
export const FLUSH_ID_RETENTION_DAYS = 7;

export interface FlushOutcome {
  /** False when the flush id was already recorded: an earlier attempt committed (its acknowledgement was lost). */
  applied: boolean;
  /** Tests whose rows are now stored. */
  testIds: string[];
  rows: AggregateRow[];
  /** Tests whose rows were dropped: deleted, or not active/paused. */
  droppedTestIds: string[];
}

type WrittenListener = (testIds: string[], rows: readonly AggregateRow[]) => void;

/**
 * The only writer of metric aggregates. Callers hand it rows; it adds them to the stored ones and
 * tells listeners (Prometheus, guardrails) which tests changed once the transaction committed.
 */
@Injectable()
export class AggregateStore {
  private readonly logger = new Logger('Metrics');
  private readonly listeners = new Set<WrittenListener>();

  constructor(private readonly dataSource: DataSource) {}

  /** Adds rows to the stored aggregates inside the caller's transaction. */
  async upsert(manager: EntityManager, rows: readonly AggregateRow[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(UPSERT_SQL, toUpsertParams(rows));
  }

  /**
   * Applies one in-process flush in its own transaction, at most once per `flushId`:
   * the id is inserted first, so an earlier attempt that did commit makes this one a no-op, and
   * one still in progress (its connection lost after COMMIT was sent) makes this insert wait for
   * its outcome. Rows of tests that are gone or not active/paused are dropped, under a FOR SHARE
   * lock so a test cannot complete halfway through a flush.
   */
  async applyFlush(flushId: string, rows: readonly AggregateRow[]): Promise<FlushOutcome> {
    const testIds = testIdsOf(rows);
    const outcome = await this.dataSource.transaction(async (manager): Promise<FlushOutcome> => {
      const fresh = (await manager.query('INSERT INTO metric_flushes (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id', [flushId])) as unknown[];
      if (fresh.length === 0) return { applied: false, testIds, rows: [...rows], droppedTestIds: [] };
      const recording = (await manager.query(
        `SELECT id::text AS id FROM ab_tests WHERE id = ANY($1::uuid[]) AND status::text = ANY($2::text[]) ORDER BY id FOR SHARE`,
        [testIds, RECORDING_STATUSES],
      )) as Array<{ id: string }>;
      const kept = new Set(recording.map((row) => row.id));
      const keptRows = kept.size === testIds.length ? [...rows] : rows.filter((row) => kept.has(row.testId));
      await this.upsert(manager, keptRows);
      return { applied: true, testIds: [...kept], rows: keptRows, droppedTestIds: testIds.filter((id) => !kept.has(id)) };
    });
    this.notify(outcome.testIds, outcome.rows);
    return outcome;
  }

  /** Deletes flush ids older than the retention; returns how many. */
  async pruneFlushIds(): Promise<number> {
    const [{ deleted }] = (await this.dataSource.query(
      `WITH gone AS (DELETE FROM metric_flushes WHERE flushed_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*)::int AS deleted FROM gone`,
      [FLUSH_ID_RETENTION_DAYS],
    )) as [{ deleted: number }];
    return deleted;
  }

  /** Called after every committed write with the tests it touched and its rows. */
  onWritten(listener: WrittenListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(testIds: string[], rows: readonly AggregateRow[]): void {
    if (testIds.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(testIds, rows);
      } catch (error) {
        this.logger.error(`a metrics listener failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  }
}
