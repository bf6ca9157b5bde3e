import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GroupCommitter } from '../../common/batching/group-commit.js';
import { deleteOlderThan } from '../../database/retention-job.js';
import { PredictionEntity } from './prediction.entity.js';
import type { Variant } from '../../common/variant.js';

export interface NewPrediction {
  id: string;
  abTestId: string | null;
  variant: Variant | null;
  modelType: string;
  modelVersion: string;
  userId: string;
  label: string;
  score: number;
}

/** A stored prediction as feedback needs it. */
export type StoredPrediction = NewPrediction;

export interface Feedback {
  correct: boolean;
  /** The true label, when the caller gave one. */
  label: string | null;
  /** Who gave it (the token's `sub`). */
  by: string;
}

/**
 * The owner of the `predictions` table: stores what the classifiers served and the feedback on
 * it. Every prediction is in PostgreSQL before `insert` resolves (feedback may follow at once).
 */
export abstract class PredictionStore {
  abstract insert(row: NewPrediction): Promise<void>;

  abstract findById(id: string): Promise<StoredPrediction | null>;

  /** Records feedback unless the prediction already has some; false when it had (of two concurrent feedbacks exactly one wins). */
  abstract recordFeedback(id: string, feedback: Feedback): Promise<boolean>;

  /** Deletes predictions older than `cutoff` in batches until none are left or `shouldStop`; returns how many. */
  abstract deleteOlderThan(cutoff: Date, shouldStop: () => boolean): Promise<number>;
}

/** Rows per INSERT; the statement binds eight arrays, so its text and plan do not depend on the batch size. */
const MAX_BATCH = 1000;
/**
 * INSERTs in flight at once: enough to overlap round trips and commit flushes (PostgreSQL flushes
 * concurrent commits together), few enough that rows queue up and coalesce. 8 served ~1.6× the
 * checks per second of 4 in bench:inference; 16 was no better.
 */
const MAX_IN_FLIGHT = 8;

/**
 * Group commit for predictions. One INSERT and commit per request would cap a busy instance at a
 * few thousand per second: rows that arrive while earlier INSERTs are in flight are written
 * together by one call of `write`, and each caller's promise settles when its row has committed.
 */
export function predictionBatcher(write: (rows: NewPrediction[]) => Promise<void>): GroupCommitter<NewPrediction, void> {
  return new GroupCommitter({
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    write: async (rows) => {
      await write(rows);
      return new Array<void>(rows.length);
    },
  });
}

const INSERT_SQL = `
  INSERT INTO predictions (id, ab_test_id, variant, model_type, model_version, user_id, label, score)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::char(1)[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::float8[])`;

@Injectable()
export class PostgresPredictionStore extends PredictionStore {
  private readonly batcher = predictionBatcher((rows) => this.write(rows));

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  insert(row: NewPrediction): Promise<void> {
    return this.batcher.submit(row);
  }

  async findById(id: string): Promise<StoredPrediction | null> {
    const found = await this.dataSource.getRepository(PredictionEntity).findOneBy({ id });
    if (found === null) return null;
    const { abTestId, variant, modelType, modelVersion, userId, label, score } = found;
    return { id: found.id, abTestId, variant, modelType, modelVersion, userId, label, score };
  }

  async recordFeedback(id: string, feedback: Feedback): Promise<boolean> {
    // The WHERE clause makes "once" atomic: of two concurrent feedbacks exactly one updates the row.
    const updated = (await this.dataSource.query(
      `UPDATE predictions
          SET feedback_correct = $2, feedback_label = $3, feedback_at = now(), feedback_by = $4
        WHERE id = $1 AND feedback_at IS NULL
        RETURNING id`,
      [id, feedback.correct, feedback.label, feedback.by],
    )) as unknown[];
    return rowCount(updated) > 0;
  }

  deleteOlderThan(cutoff: Date, shouldStop: () => boolean): Promise<number> {
    return deleteOlderThan(this.dataSource, 'predictions', 'created_at', cutoff, shouldStop);
  }

  private async write(rows: NewPrediction[]): Promise<void> {
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const row of rows) {
      columns[0]!.push(row.id);
      columns[1]!.push(row.abTestId);
      columns[2]!.push(row.variant);
      columns[3]!.push(row.modelType);
      columns[4]!.push(row.modelVersion);
      columns[5]!.push(row.userId);
      columns[6]!.push(row.label);
      columns[7]!.push(row.score);
    }
    await this.dataSource.query(INSERT_SQL, columns);
  }
}

/** TypeORM returns `[rows, count]` for UPDATE … RETURNING on PostgreSQL. */
function rowCount(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
