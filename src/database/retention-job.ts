import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { AdvisoryLocks } from './advisory-locks.js';
import { describeError } from '../common/logging/describe-error.js';

/**
 * One kind of data with a retention: the module that owns the table registers it (see
 * RetentionJob.register) and deletes what is older than `cutoff`, returning how many rows went.
 */
export interface RetentionTask {
  name: string;
  /** Days kept; 0 = keep everything (the task is skipped). */
  days: number;
  run(cutoff: Date, shouldStop: () => boolean): Promise<number>;
}

export interface RetentionRun {
  /** `ran`; `locked` when another instance runs it now; `recent` when it ran less than an interval ago. */
  outcome: 'ran' | 'locked' | 'recent';
  deleted: Record<string, number>;
}

/** Any fixed number, distinct from the migration and seed locks. */
export const RETENTION_LOCK_KEY = 7_221_046_315;
const JOB = 'retention';

/** Rows per DELETE: short statements, short locks, nothing held between batches. */
export const RETENTION_BATCH = 5000;

/**
 * Deletes rows older than `cutoff` from `table` in batches of RETENTION_BATCH (each statement its
 * own transaction, so it works through a transaction pooler and never holds locks for long).
 * `column` must be indexed for range scans (BRIN is enough for append-mostly tables).
 */
export async function deleteOlderThan(dataSource: DataSource, table: string, column: string, cutoff: Date, shouldStop: () => boolean): Promise<number> {
  let total = 0;
  for (;;) {
    const [{ deleted }] = (await dataSource.query(
      `WITH gone AS (
         DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT ${RETENTION_BATCH}))
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
      [cutoff.toISOString()],
    )) as [{ deleted: number }];
    total += deleted;
    if (deleted < RETENTION_BATCH || shouldStop()) return total;
  }
}

/**
 * Bounded data: every RETENTION_INTERVAL_MS each instance offers to run the registered retention
 * tasks; one runs them at a time (a session advisory lock on DATABASE_DIRECT_URL), and a run that
 * finished less than an interval ago (`maintenance_runs`) makes the others skip, so N instances
 * do the work about once per interval. Deleting is idempotent: a run cut short (crash, lost
 * connection) is simply finished by the next one.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly tasks: RetentionTask[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionRun> | null = null;
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly locks: AdvisoryLocks,
  ) {}

  /** Called by the module that owns a table, in its onModuleInit. */
  register(task: RetentionTask): void {
    this.tasks.push(task);
  }

  onApplicationBootstrap(): void {
    // The first run at a random point of the first interval (instances started together do not
    // all ask at once; the lock and maintenance_runs settle who runs), then every interval.
    const interval = this.config.retentionIntervalMs;
    const first = interval * (0.1 + 0.9 * Math.random());
    const tick = () => {
      this.runNow().catch((error: unknown) => this.logger.warn(`retention run failed (retried next interval): ${describeError(error)}`));
    };
    this.timer = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, interval);
      this.timer.unref();
    }, first);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs the tasks now unless another instance is running them or did less than an interval ago. */
  runNow(options: { force?: boolean } = {}): Promise<RetentionRun> {
    this.running ??= this.run(options.force ?? false).finally(() => (this.running = null));
    return this.running;
  }

  private async run(force: boolean): Promise<RetentionRun> {
    const result = await this.locks.tryWithLock(RETENTION_LOCK_KEY, async (): Promise<RetentionRun> => {
      if (!force) {
        const recent = (await this.dataSource.query(`SELECT 1 FROM maintenance_runs WHERE job = $1 AND finished_at > now() - make_interval(secs => $2)`, [
          JOB,
          (this.config.retentionIntervalMs * 0.9) / 1000,
        ])) as unknown[];
        if (recent.length > 0) return { outcome: 'recent', deleted: {} };
      }
      const started = new Date();
      const deleted: Record<string, number> = {};
      for (const task of this.tasks) {
        if (task.days <= 0 || this.stopping) continue;
        const cutoff = new Date(Date.now() - task.days * 86_400_000);
        deleted[task.name] = await task.run(cutoff, () => this.stopping);
      }
      await this.dataSource.query(
        `INSERT INTO maintenance_runs (job, started_at, finished_at, summary) VALUES ($1, $2, now(), $3)
         ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at, summary = excluded.summary`,
        [JOB, started.toISOString(), JSON.stringify(deleted)],
      );
      const removed = Object.entries(deleted).filter(([, n]) => n > 0);
      if (removed.length > 0) this.logger.log(`retention deleted ${removed.map(([name, n]) => `${n} ${name}`).join(', ')} (${Date.now() - started.getTime()} ms)`);
      return { outcome: 'ran', deleted };
    });
    return result.ran ? result.value : { outcome: 'locked', deleted: {} };
  }
}
