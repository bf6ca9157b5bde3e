import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { Variant } from './bucketing.js';
import { GroupCommitter } from '../../../common/batching/group-commit.js';

/** Rows per INSERT: large enough to absorb a burst, small enough to keep one statement short. */
const MAX_BATCH = 1000;
/** Statements in flight at once; further requests queue and coalesce into the next batch. */
const MAX_IN_FLIGHT = 4;

interface NewAssignment {
  key: string;
  testId: string;
  userId: string;
  variant: Variant;
  splitVersion: number;
}

interface StoredRow {
  ab_test_id: string;
  user_id: string;
  variant: Variant;
}

/**
 * Stores first assignments with group commit: requests that arrive while statements are in flight
 * are coalesced into one multi-row `INSERT … ON CONFLICT (ab_test_id, user_id) DO NOTHING`, and the
 * answer for each (test, user) is whatever row is stored — ours, or the one another request or
 * instance stored first. Requests for a (test, user) already queued or in flight share its promise,
 * so a burst of one new user's requests costs one row.
 *
 * The insert only takes rows for tests still `active` in the database: a test paused or completed
 * after the caller read its cache gets no new assignments, and the caller hears `null`.
 */
@Injectable()
export class AssignmentWriter {
  /** (test, user) pairs queued or in flight: a burst of one new user's requests shares one row. */
  private readonly pending = new Map<string, Promise<Variant | null>>();
  private readonly committer: GroupCommitter<NewAssignment, Variant | null>;

  constructor(private readonly dataSource: DataSource) {
    this.committer = new GroupCommitter({ maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT, write: (batch) => this.write(batch) });
  }

  /**
   * Stores (test, user) → variant unless an assignment exists, and resolves with the stored variant
   * (null when the test is no longer active). Rejects when the database fails: never answer with an
   * assignment that is not stored.
   */
  assign(testId: string, anyUserId: string, variant: Variant, splitVersion: number): Promise<Variant | null> {
    // PostgreSQL stores text as UTF-8, where a lone surrogate becomes U+FFFD: key the row by what
    // will be stored, or the read-back would not find it (and the request would fail).
    const userId = wellFormed(anyUserId);
    const key = `${testId}\u0000${userId}`;
    const existing = this.pending.get(key);
    if (existing) return existing;
    const promise = this.committer.submit({ key, testId, userId, variant, splitVersion });
    this.pending.set(key, promise);
    const forget = () => this.pending.delete(key);
    promise.then(forget, forget);
    return promise;
  }

  /** Insert statements issued and assignments they carried since start (shows the coalescing). */
  get stats(): { statements: number; assignments: number } {
    const { writes, items } = this.committer.stats;
    return { statements: writes, assignments: items };
  }

  private async write(batch: NewAssignment[]): Promise<Array<Variant | null>> {
    const rows = await this.query(STORE_ASSIGNMENTS, [
      batch.map((e) => e.testId),
      batch.map((e) => e.userId),
      batch.map((e) => e.variant),
      batch.map((e) => e.splitVersion),
    ]);
    const stored = new Map<string, Variant>();
    for (const row of rows) stored.set(`${row.ab_test_id}\u0000${row.user_id}`, row.variant);

    // A conflict with a row committed after this statement's snapshot was taken is skipped by the
    // insert yet invisible to its read-back: read those again, with a fresh snapshot.
    const missing = batch.filter((entry) => !stored.has(entry.key));
    if (missing.length > 0) {
      const late = await this.query(READ_ASSIGNMENTS, [missing.map((e) => e.testId), missing.map((e) => e.userId)]);
      for (const row of late) stored.set(`${row.ab_test_id}\u0000${row.user_id}`, row.variant);
    }
    return batch.map((entry) => stored.get(entry.key) ?? null);
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

/** The string with lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, Node ≥ 20). */
function wellFormed(value: string): string {
  const text = value as string & { isWellFormed(): boolean; toWellFormed(): string };
  return text.isWellFormed() ? value : text.toWellFormed();
}

/**
 * Inserts the batch (only for tests still active), skipping (test, user) pairs already stored, and
 * returns the stored variant of every pair: the inserted rows plus those that existed before.
 */
const STORE_ASSIGNMENTS = {
  name: 'ab_test_assignments_store',
  text: `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::ab_test_variant[], $4::integer[]) AS i(ab_test_id, user_id, variant, split_version)
         ), inserted AS (
           INSERT INTO ab_test_assignments (ab_test_id, user_id, variant, split_version)
           SELECT i.ab_test_id, i.user_id, i.variant, i.split_version
             FROM input i JOIN ab_tests t ON t.id = i.ab_test_id AND t.status = 'active'
           ON CONFLICT (ab_test_id, user_id) DO NOTHING
           RETURNING ab_test_id, user_id, variant
         )
         SELECT ab_test_id::text, user_id, variant::text FROM inserted
         UNION ALL
         SELECT a.ab_test_id::text, a.user_id, a.variant::text
           FROM ab_test_assignments a JOIN input i ON a.ab_test_id = i.ab_test_id AND a.user_id = i.user_id`,
};

const READ_ASSIGNMENTS = {
  name: 'ab_test_assignments_read',
  text: `SELECT a.ab_test_id::text, a.user_id, a.variant::text
           FROM ab_test_assignments a
           JOIN unnest($1::uuid[], $2::varchar[]) AS i(ab_test_id, user_id) ON a.ab_test_id = i.ab_test_id AND a.user_id = i.user_id`,
};
