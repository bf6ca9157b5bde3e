import type { DataSource, Migration } from 'typeorm';

/** Any fixed number: every instance that migrates takes the same session-level advisory lock. */
const MIGRATION_LOCK_KEY = 7_221_046_310;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so several instances starting together
 * on one database migrate once instead of racing each other.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
