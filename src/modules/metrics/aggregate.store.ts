import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { describeError } from '../../common/logging/describe-error.js';
import { deleteOlderThan } from '../../database/retention-job.js';
import { managerOf, type Tx } from '../../database/transactions.js';
import { toUpsertParams, type AggregateRow } from './aggregate-rows.js';
import type { SketchCounts } from './log-bucket-sketch.js';
import type { Variant } from '../../common/variant.js';
import { LATENCY_METRIC } from './metric-deltas.js';
import type { Segment } from './time-ranges.js';

/** How long applied flush ids are kept: a flush retried later than this could be applied twice. */
export const FLUSH_ID_RETENTION_DAYS = 7;

/** A stored row's moments (summed over the rows read, for totals). */
export interface MomentsRow {
  variant: Variant;
  metric: string;
  count: number;
  errors: number;
  sum: number;
  sum_squares: number;
}

/** Totals of a test over some segments: moments per (variant, metric), and each latency row's sketch to merge. */
export interface TotalsRows {
  moments: MomentsRow[];
  latencySketches: Array<{ variant: Variant; sketch: SketchCounts }>;
}

/** One roll-up row of a look: a bucket's moments, `at` its start (epoch ms). */
export type LookRow = MomentsRow & { at: number };

/** One bucket of one metric for charts. */
export interface SeriesRow {
  variant: Variant;
  bucket_start: Date;
  count: number;
  errors: number;
  sum: number;
  /** Latency only. */
  sketch?: SketchCounts | null;
}

type WrittenListener = (testIds: string[], rows: readonly AggregateRow[]) => void;

/**
 * The owner of `metric_aggregates` (minute rows), `metric_rollups` (hour and day rows) and
 * `metric_flushes` (applied in-process flush ids): the only code that reads or writes them. It
 * also tells listeners (Prometheus, guardrails) which tests changed once a write committed.
 * Reads run on the pool, or on a transaction's connection when given one.
 */
export abstract class AggregateStore {
  private readonly logger = new Logger('Metrics');
  private readonly listeners = new Set<WrittenListener>();

  /** Adds rows to the stored aggregates inside the caller's transaction. */
  abstract upsert(tx: Tx, rows: readonly AggregateRow[]): Promise<void>;

  /** Records `flushId` in the transaction; false when it was already there (an earlier attempt committed). */
  abstract claimFlushId(tx: Tx, flushId: string): Promise<boolean>;

  /** Deletes flush ids older than FLUSH_ID_RETENTION_DAYS; returns how many. */
  abstract pruneFlushIds(): Promise<number>;

  /** Everything stored for the test within the segments. */
  abstract readTotals(testId: string, segments: readonly Segment[], tx?: Tx): Promise<TotalsRows>;

  /** The test's roll-up rows of one grain that start before `before`, oldest first. */
  abstract readLooks(testId: string, grain: 'hour' | 'day', before: Date, tx?: Tx): Promise<LookRow[]>;

  /** One stored metric's buckets in [from, to), minute rows or hour roll-ups, oldest first. */
  abstract readSeries(testId: string, grain: 'minute' | 'hour', metric: string, from: Date, to: Date, tx?: Tx): Promise<SeriesRow[]>;

  /** Deletes minute rows older than `cutoff` in batches until none are left or `shouldStop`; returns how many. */
  abstract deleteMinuteRowsBefore(cutoff: Date, shouldStop: () => boolean): Promise<number>;

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
        this.logger.error(`a metrics listener failed: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}`);
      }
    }
  }
}

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

type TotalsSqlRow = MomentsRow & { sketch: SketchCounts | null };

@Injectable()
export class PostgresAggregateStore extends AggregateStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async upsert(tx: Tx, rows: readonly AggregateRow[]): Promise<void> {
    if (rows.length === 0) return;
    await managerOf(tx).query(UPSERT_SQL, toUpsertParams(rows));
  }

  async claimFlushId(tx: Tx, flushId: string): Promise<boolean> {
    const fresh = (await managerOf(tx).query('INSERT INTO metric_flushes (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id', [flushId])) as unknown[];
    return fresh.length > 0;
  }

  async pruneFlushIds(): Promise<number> {
    const [{ deleted }] = (await this.dataSource.query(
      `WITH gone AS (DELETE FROM metric_flushes WHERE flushed_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*)::int AS deleted FROM gone`,
      [FLUSH_ID_RETENTION_DAYS],
    )) as [{ deleted: number }];
    return deleted;
  }

  async readTotals(testId: string, segments: readonly Segment[], tx?: Tx): Promise<TotalsRows> {
    const params: unknown[] = [testId];
    const picked = segments.map((segment) => segmentSql(segment, params)).join('\n      UNION ALL ');
    // Moments are summed in SQL; latency sketches come back row by row and merge in the caller,
    // which is several times cheaper than expanding them with jsonb_each in PostgreSQL.
    const rows = (await this.runner(tx).query(
      `WITH picked AS MATERIALIZED (
        ${picked}
      )
      SELECT variant, metric, sum(count)::float8 AS count, sum(errors)::float8 AS errors, sum(sum) AS sum, sum(sum_squares) AS sum_squares, NULL::jsonb AS sketch
        FROM picked GROUP BY variant, metric
      UNION ALL
      SELECT variant, metric, NULL, NULL, NULL, NULL, sketch FROM picked WHERE metric = '${LATENCY_METRIC}' AND sketch IS NOT NULL`,
      params,
    )) as TotalsSqlRow[];
    const totals: TotalsRows = { moments: [], latencySketches: [] };
    for (const row of rows) {
      if (row.sketch !== null) totals.latencySketches.push({ variant: row.variant, sketch: row.sketch });
      else totals.moments.push(row);
    }
    return totals;
  }

  async readLooks(testId: string, grain: 'hour' | 'day', before: Date, tx?: Tx): Promise<LookRow[]> {
    const rows = (await this.runner(tx).query(
      `SELECT extract(epoch FROM bucket_start) * 1000 AS at, variant, metric, count::float8 AS count, errors::float8 AS errors, sum, sum_squares
         FROM metric_rollups
        WHERE ab_test_id = $1 AND grain = $2 AND bucket_start < $3
        ORDER BY bucket_start`,
      [testId, grain, before.toISOString()],
    )) as Array<MomentsRow & { at: string | number }>;
    return rows.map((row) => ({ ...row, at: Number(row.at) }));
  }

  async readSeries(testId: string, grain: 'minute' | 'hour', metric: string, from: Date, to: Date, tx?: Tx): Promise<SeriesRow[]> {
    const latency = metric === LATENCY_METRIC;
    const source = grain === 'minute' ? 'metric_aggregates WHERE' : `metric_rollups WHERE grain = 'hour' AND`;
    return (await this.runner(tx).query(
      `SELECT variant, bucket_start, count::float8 AS count, errors::float8 AS errors, sum${latency ? ', sketch' : ''}
         FROM ${source} ab_test_id = $1 AND metric = $2 AND bucket_start >= $3 AND bucket_start < $4
        ORDER BY bucket_start`,
      [testId, metric, from.toISOString(), to.toISOString()],
    )) as SeriesRow[];
  }

  deleteMinuteRowsBefore(cutoff: Date, shouldStop: () => boolean): Promise<number> {
    return deleteOlderThan(this.dataSource, 'metric_aggregates', 'bucket_start', cutoff, shouldStop);
  }

  private runner(tx: Tx | undefined): { query(sql: string, parameters?: unknown[]): Promise<unknown> } {
    return tx ? managerOf(tx) : this.dataSource;
  }
}

function segmentSql(segment: Segment, params: unknown[]): string {
  const conditions = ['ab_test_id = $1'];
  let table = 'metric_aggregates';
  if (segment.grain !== 'minute') {
    table = 'metric_rollups';
    conditions.push(`grain = '${segment.grain}'`);
  }
  if (segment.from !== null) {
    params.push(new Date(segment.from).toISOString());
    conditions.push(`bucket_start >= $${params.length}`);
  }
  if (segment.to !== null) {
    params.push(new Date(segment.to).toISOString());
    conditions.push(`bucket_start < $${params.length}`);
  }
  return `SELECT variant, metric, count, errors, sum, sum_squares, sketch FROM ${table} WHERE ${conditions.join(' AND ')}`;
}
