import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { managerOf, type Tx } from '../../../database/transactions.js';
import { LogBucketSketch, type SketchCounts } from '../../metrics/log-bucket-sketch.js';
import { MAX_DISAGREEMENTS_PER_TEST, type ShadowDeltas } from './shadow-deltas.js';
import type { ShadowTotals } from './shadow-stats.js';


export interface DisagreementRow {
  id: string;
  label_a: string;
  label_b: string;
  score_a: number | null;
  score_b: number | null;
  version_a: string;
  version_b: string;
  input: string | null;
  created_at: Date;
}

/**
 * The only code that speaks SQL to the shadow tables. Writes add to what is stored
 * (`x = x + excluded.x`, sketches merged), so instances and remote batches never overwrite each
 * other; disagreements are appended and trimmed to the newest 1,000 per test in the same transaction.
 */
@Injectable()
export class ShadowStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Adds one test's deltas inside the caller's transaction. `versions` name a and b for the disagreements. */
  async add(tx: Tx, testId: string, deltas: ShadowDeltas, versions: { a: string; b: string }): Promise<void> {
    const manager = managerOf(tx);
    const cells = [...deltas.cells.values()].filter((cell) => cell.count > 0).sort((x, y) => (x.labelA + '\u0000' + x.labelB < y.labelA + '\u0000' + y.labelB ? -1 : 1));
    if (cells.length > 0) {
      await manager.query(
        `INSERT INTO shadow_comparisons AS t (ab_test_id, label_a, label_b, count, latency_a, latency_b)
         SELECT $1, i.label_a, i.label_b, i.count, i.latency_a, i.latency_b
         FROM unnest($2::text[], $3::text[], $4::bigint[], $5::jsonb[], $6::jsonb[]) AS i(label_a, label_b, count, latency_a, latency_b)
         ON CONFLICT (ab_test_id, label_a, label_b) DO UPDATE SET
           count = t.count + excluded.count,
           latency_a = metric_sketch_merge(t.latency_a, excluded.latency_a),
           latency_b = metric_sketch_merge(t.latency_b, excluded.latency_b)`,
        [
          testId,
          cells.map((cell) => cell.labelA),
          cells.map((cell) => cell.labelB),
          cells.map((cell) => cell.count),
          cells.map((cell) => cell.latencyA.toJson()),
          cells.map((cell) => cell.latencyB.toJson()),
        ],
      );
    }
    if (deltas.errorsB > 0 || deltas.dropped > 0) {
      await manager.query(
        `INSERT INTO shadow_counters AS t (ab_test_id, errors_b, dropped) VALUES ($1, $2, $3)
         ON CONFLICT (ab_test_id) DO UPDATE SET errors_b = t.errors_b + excluded.errors_b, dropped = t.dropped + excluded.dropped`,
        [testId, deltas.errorsB, deltas.dropped],
      );
    }
    const disagreements = deltas.disagreements;
    if (disagreements.length > 0) {
      await manager.query(
        `INSERT INTO shadow_disagreements (ab_test_id, label_a, label_b, score_a, score_b, version_a, version_b, input, created_at)
         SELECT $1, i.label_a, i.label_b, i.score_a, i.score_b, $2, $3, i.input, i.created_at
         FROM unnest($4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::timestamptz[]) WITH ORDINALITY AS i(label_a, label_b, score_a, score_b, input, created_at, n)
         ORDER BY i.n`,
        [
          testId,
          versions.a,
          versions.b,
          disagreements.map((d) => d.labelA),
          disagreements.map((d) => d.labelB),
          disagreements.map((d) => d.scoreA),
          disagreements.map((d) => d.scoreB),
          disagreements.map((d) => d.input),
          disagreements.map((d) => d.at.toISOString()),
        ],
      );
      await manager.query(
        `DELETE FROM shadow_disagreements WHERE ab_test_id = $1
           AND id <= (SELECT id FROM shadow_disagreements WHERE ab_test_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
        [testId, MAX_DISAGREEMENTS_PER_TEST],
      );
    }
  }

  /** Everything recorded for a test (in the caller's transaction when given, e.g. a completing one). */
  async totals(testId: string, tx?: Tx): Promise<ShadowTotals> {
    const db: EntityManager = tx ? managerOf(tx) : this.dataSource.manager;
    const cells = (await db.query(`SELECT label_a, label_b, count::float8 AS count, latency_a, latency_b FROM shadow_comparisons WHERE ab_test_id = $1`, [testId])) as Array<{
      label_a: string;
      label_b: string;
      count: number;
      latency_a: SketchCounts | null;
      latency_b: SketchCounts | null;
    }>;
    const counters = (await db.query(`SELECT errors_b::float8 AS errors_b, dropped::float8 AS dropped FROM shadow_counters WHERE ab_test_id = $1`, [testId])) as Array<{
      errors_b: number;
      dropped: number;
    }>;
    return {
      cells: cells.map((row) => ({
        labelA: row.label_a,
        labelB: row.label_b,
        count: row.count,
        latencyA: LogBucketSketch.fromCounts(row.latency_a),
        latencyB: LogBucketSketch.fromCounts(row.latency_b),
      })),
      errorsB: counters[0]?.errors_b ?? 0,
      dropped: counters[0]?.dropped ?? 0,
    };
  }

  /** The newest disagreements first. */
  async disagreements(testId: string, page: { limit: number; offset: number }): Promise<{ items: DisagreementRow[]; total: number }> {
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT id::text AS id, label_a, label_b, score_a, score_b, version_a, version_b, input, created_at
         FROM shadow_disagreements d WHERE ab_test_id = $1 ORDER BY d.id DESC LIMIT $2 OFFSET $3`,
        [testId, page.limit, page.offset],
      ) as Promise<DisagreementRow[]>,
      this.dataSource.query(`SELECT count(*)::int AS total FROM shadow_disagreements WHERE ab_test_id = $1`, [testId]) as Promise<Array<{ total: number }>>,
    ]);
    return { items, total: count[0]?.total ?? 0 };
  }
}
