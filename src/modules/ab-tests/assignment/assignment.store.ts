import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../../../database/transactions.js';

import type { AssignmentCount } from './split-version-counts.js';
import type { Variant } from '../../../common/variant.js';

export interface NewAssignment {
  testId: string;
  userId: string;
  variant: Variant;
  splitVersion: number;
}

export interface StoredAssignment {
  testId: string;
  userId: string;
  variant: Variant;
}

/**
 * The one owner of `ab_test_assignments` and the per-(test, split version, variant) counters its
 * triggers keep in `ab_test_assignment_counts`.
 */
export abstract class AssignmentStore {
  /**
   * Inserts the batch (only for tests still `active`), skipping (test, user) pairs already stored,
   * and returns the rows it inserted (not those that existed: `read` them).
   */
  abstract insertIfActive(batch: readonly NewAssignment[]): Promise<StoredAssignment[]>;
  /** The stored assignments of these (test, user) pairs, read with a fresh snapshot. */
  abstract read(pairs: ReadonlyArray<{ testId: string; userId: string }>): Promise<StoredAssignment[]>;
  /** A test's assignments per (split version, variant), from the counters (a few rows however many users). */
  abstract countAssignments(testId: string, tx?: Tx): Promise<AssignmentCount[]>;
}

interface StoredRow {
  ab_test_id: string;
  user_id: string;
  variant: Variant;
}

@Injectable()
export class PostgresAssignmentStore extends AssignmentStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insertIfActive(batch: readonly NewAssignment[]): Promise<StoredAssignment[]> {
    const rows = await this.query(STORE_ASSIGNMENTS, [
      batch.map((e) => e.testId),
      batch.map((e) => e.userId),
      batch.map((e) => e.variant),
      batch.map((e) => e.splitVersion),
    ]);
    return rows.map(toStored);
  }

  async read(pairs: ReadonlyArray<{ testId: string; userId: string }>): Promise<StoredAssignment[]> {
    return (await this.query(READ_ASSIGNMENTS, [pairs.map((e) => e.testId), pairs.map((e) => e.userId)])).map(toStored);
  }

  async countAssignments(testId: string, tx?: Tx): Promise<AssignmentCount[]> {
    return (await (tx ? managerOf(tx) : this.dataSource.manager).query(
      `SELECT split_version AS "splitVersion", variant, sum(count)::float8 AS count FROM ab_test_assignment_counts WHERE ab_test_id = $1 GROUP BY 1, 2`,
      [testId],
    )) as AssignmentCount[];
  }

  /**
   * Runs a named (prepared) statement on a pooled connection: PostgreSQL plans it once per
   * connection instead of on every batch, which is most of its cost for small batches.
   */
  private async query(statement: { name: string; text: string }, values: unknown[]): Promise<StoredRow[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as pg.PoolClient;
      const result = await client.query<StoredRow>({ name: statement.name, text: statement.text, values });
      return result.rows;
    } finally {
      await runner.release();
    }
  }
}

function toStored(row: StoredRow): StoredAssignment {
  return { testId: row.ab_test_id, userId: row.user_id, variant: row.variant };
}

/**
 * Inserts the batch (only for tests still active), skipping (test, user) pairs already stored, and
 * returns the inserted rows. One index probe per row (the conflict check): the rows that existed
 * are read separately, by the rare batch that has any, so this plan has no join that the planner
 * could cost wrongly while the table is young (a generic plan made then would scan the table).
 */
const STORE_ASSIGNMENTS = {
  name: 'ab_test_assignments_insert',
  text: `INSERT INTO ab_test_assignments (ab_test_id, user_id, variant, split_version)
         SELECT i.ab_test_id, i.user_id, i.variant, i.split_version
           FROM unnest($1::uuid[], $2::varchar[], $3::ab_test_variant[], $4::integer[]) AS i(ab_test_id, user_id, variant, split_version)
           JOIN ab_tests t ON t.id = i.ab_test_id AND t.status = 'active'
         ON CONFLICT (ab_test_id, user_id) DO NOTHING
         RETURNING ab_test_id::text, user_id, variant::text`,
};

/**
 * One key lookup per pair: the LATERAL subquery with LIMIT cannot be turned into a join, so the
 * plan stays a loop over the pairs with an index scan inside, whatever the table's statistics say.
 */
const READ_ASSIGNMENTS = {
  name: 'ab_test_assignments_read',
  text: `SELECT a.ab_test_id::text, a.user_id, a.variant::text
           FROM unnest($1::uuid[], $2::varchar[]) AS i(ab_test_id, user_id)
           CROSS JOIN LATERAL (
             SELECT s.ab_test_id, s.user_id, s.variant FROM ab_test_assignments s
              WHERE s.ab_test_id = i.ab_test_id AND s.user_id = i.user_id LIMIT 1
           ) a`,
};

/** The statements, for the spec that checks their generic plans never scan the table. */
export const ASSIGNMENT_STATEMENTS = { insert: STORE_ASSIGNMENTS, read: READ_ASSIGNMENTS } as const;
