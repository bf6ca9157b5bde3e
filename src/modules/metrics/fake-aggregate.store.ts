import type { Tx } from '../../database/transactions.js';
import type { AggregateRow } from './aggregate-rows.js';
import { AggregateStore, FLUSH_ID_RETENTION_DAYS, type LookRow, type MomentsRow, type SeriesRow, type TotalsRows } from './aggregate.store.js';
import { LogBucketSketch } from './log-bucket-sketch.js';
import { LATENCY_METRIC } from './metric-deltas.js';
import type { Segment } from './time-ranges.js';

/** A stored row: what AggregateRow adds up to (min and max are not read back). */
type StoredRow = Omit<AggregateRow, 'min' | 'max'>;

/**
 * AggregateStore in memory, for unit specs of the metrics services: the same adding upsert, flush
 * ids and reads over the same grains. Transactions are not modelled (writes apply at once; a spec
 * that needs rollback belongs on real PostgreSQL), and `tx` arguments are only remembered.
 */
export class FakeAggregateStore extends AggregateStore {
  private readonly rows = new Map<string, StoredRow>();
  private readonly flushIds = new Map<string, number>();
  /** The transaction handle of the last read (undefined: the pool). */
  lastReadTx: Tx | undefined;
  /** When set, the next upsert throws it (and writes nothing). */
  failNextUpsert: unknown = null;

  upsert(_tx: Tx, rows: readonly AggregateRow[]): Promise<void> {
    if (this.failNextUpsert !== null) {
      const error = this.failNextUpsert;
      this.failNextUpsert = null;
      return Promise.reject(error);
    }
    for (const row of rows) {
      const key = [row.grain, row.testId.toLowerCase(), row.variant, row.metric, row.bucketStart].join('|');
      let stored = this.rows.get(key);
      if (stored === undefined) {
        stored = { grain: row.grain, testId: row.testId.toLowerCase(), variant: row.variant, metric: row.metric, bucketStart: row.bucketStart, count: 0, errors: 0, sum: 0, sumSquares: 0, sketch: null };
        this.rows.set(key, stored);
      }
      stored.count += row.count;
      stored.errors += row.errors;
      stored.sum += row.sum;
      stored.sumSquares += row.sumSquares;
      if (row.sketch) (stored.sketch ??= new LogBucketSketch()).merge(row.sketch);
    }
    return Promise.resolve();
  }

  claimFlushId(_tx: Tx, flushId: string): Promise<boolean> {
    if (this.flushIds.has(flushId)) return Promise.resolve(false);
    this.flushIds.set(flushId, Date.now());
    return Promise.resolve(true);
  }

  pruneFlushIds(): Promise<number> {
    const cutoff = Date.now() - FLUSH_ID_RETENTION_DAYS * 86_400_000;
    let deleted = 0;
    for (const [id, at] of this.flushIds) {
      if (at < cutoff) {
        this.flushIds.delete(id);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }

  readTotals(testId: string, segments: readonly Segment[], tx?: Tx): Promise<TotalsRows> {
    this.lastReadTx = tx;
    const moments = new Map<string, MomentsRow>();
    const totals: TotalsRows = { moments: [], latencySketches: [] };
    for (const row of this.of(testId)) {
      if (!segments.some((segment) => row.grain === segment.grain && within(row.bucketStart, segment.from, segment.to))) continue;
      const key = `${row.variant}|${row.metric}`;
      let sum = moments.get(key);
      if (sum === undefined) {
        sum = { variant: row.variant, metric: row.metric, count: 0, errors: 0, sum: 0, sum_squares: 0 };
        moments.set(key, sum);
      }
      sum.count += row.count;
      sum.errors += row.errors;
      sum.sum += row.sum;
      sum.sum_squares += row.sumSquares;
      if (row.metric === LATENCY_METRIC && row.sketch) totals.latencySketches.push({ variant: row.variant, sketch: row.sketch.toCounts() });
    }
    totals.moments = [...moments.values()];
    return Promise.resolve(totals);
  }

  readLooks(testId: string, grain: 'hour' | 'day', before: Date, tx?: Tx): Promise<LookRow[]> {
    this.lastReadTx = tx;
    const rows = this.of(testId)
      .filter((row) => row.grain === grain && row.bucketStart < before.getTime())
      .sort((x, y) => x.bucketStart - y.bucketStart)
      .map((row) => ({ at: row.bucketStart, variant: row.variant, metric: row.metric, count: row.count, errors: row.errors, sum: row.sum, sum_squares: row.sumSquares }));
    return Promise.resolve(rows);
  }

  readSeries(testId: string, grain: 'minute' | 'hour', metric: string, from: Date, to: Date, tx?: Tx): Promise<SeriesRow[]> {
    this.lastReadTx = tx;
    const rows = this.of(testId)
      .filter((row) => row.grain === grain && row.metric === metric && within(row.bucketStart, from.getTime(), to.getTime()))
      .sort((x, y) => x.bucketStart - y.bucketStart)
      .map((row): SeriesRow => ({
        variant: row.variant,
        bucket_start: new Date(row.bucketStart),
        count: row.count,
        errors: row.errors,
        sum: row.sum,
        ...(metric === LATENCY_METRIC ? { sketch: row.sketch?.toCounts() ?? null } : {}),
      }));
    return Promise.resolve(rows);
  }

  deleteMinuteRowsBefore(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (const [key, row] of this.rows) {
      if (row.grain === 'minute' && row.bucketStart < cutoff.getTime()) {
        this.rows.delete(key);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }

  /** Stored rows at every grain (for assertions). */
  stored(testId?: string): Array<Readonly<StoredRow>> {
    return testId === undefined ? [...this.rows.values()] : this.of(testId);
  }

  private of(testId: string): StoredRow[] {
    const id = testId.toLowerCase();
    return [...this.rows.values()].filter((row) => row.testId === id);
  }
}

function within(at: number, from: number | null, to: number | null): boolean {
  return (from === null || at >= from) && (to === null || at < to);
}
