import { Injectable } from '@nestjs/common';
import { GroupCommitter } from '../../../common/batching/group-commit.js';
import { AssignmentStore, type NewAssignment } from './assignment.store.js';
import type { Variant } from '../../../common/variant.js';

/** Rows per INSERT: large enough to absorb a burst, small enough to keep one statement short. */
const MAX_BATCH = 1000;
/**
 * One statement in flight; requests arriving meanwhile queue and form the next batch. Each
 * statement costs PostgreSQL ~250–400 µs of CPU before its first row (mostly the commit), so
 * bigger batches are cheaper per user: under 32 concurrent new users, one in flight made 16 users
 * per commit where four made ~10 (bench:assign prints it), and the batch grows with the load.
 */
const MAX_IN_FLIGHT = 1;
/**
 * After a statement of several users, the next one waits up to 2 ms for as many new users, so
 * concurrent callers share one statement instead of alternating between two half-size ones (the
 * group-commit linger of Kafka's linger.ms or PostgreSQL's commit_delay, ended early once the batch
 * is full). Costs a new user's first answer ≤ 2 ms, and only while new users keep coming.
 * bench:assign --new-only, three alternating pairs: 22–23 users per commit instead of 17, and
 * 0.22–0.26× bare Fastify per CPU-second instead of 0.19–0.24×, with p50 and p99 no worse.
 */
const LINGER_MS = 2;

interface QueuedAssignment extends NewAssignment {
  key: string;
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
  private readonly committer: GroupCommitter<QueuedAssignment, Variant | null>;

  constructor(private readonly store: AssignmentStore) {
    this.committer = new GroupCommitter({ maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT, lingerMs: LINGER_MS, write: (batch) => this.write(batch) });
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
    // Forgotten by write() when its statement has finished (no reaction per user on the promise).
    this.pending.set(key, promise);
    return promise;
  }

  /** Insert statements issued and assignments they carried since start (shows the coalescing). */
  get stats(): { statements: number; assignments: number } {
    const { writes, items } = this.committer.stats;
    return { statements: writes, assignments: items };
  }

  private async write(batch: QueuedAssignment[]): Promise<Array<Variant | null>> {
    try {
      return await this.storeBatch(batch);
    } finally {
      // Stored or failed: a later request for these pairs starts afresh (and finds the row).
      for (const entry of batch) this.pending.delete(entry.key);
    }
  }

  private async storeBatch(batch: QueuedAssignment[]): Promise<Array<Variant | null>> {
    const rows = await this.store.insertIfActive(batch);
    const stored = new Map<string, Variant>();
    for (const row of rows) stored.set(`${row.testId}\u0000${row.userId}`, row.variant);

    // A pair the insert skipped is stored already (by another request or instance, or before this
    // instance's cache knew it) or its test is no longer active: read it, with a fresh snapshot.
    const missing = batch.filter((entry) => !stored.has(entry.key));
    if (missing.length > 0) {
      const late = await this.store.read(missing);
      for (const row of late) stored.set(`${row.testId}\u0000${row.userId}`, row.variant);
    }
    return batch.map((entry) => stored.get(entry.key) ?? null);
  }
}

/** The string with lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, Node ≥ 20). */
function wellFormed(value: string): string {
  const text = value as string & { isWellFormed(): boolean; toWellFormed(): string };
  return text.isWellFormed() ? value : text.toWellFormed();
}
