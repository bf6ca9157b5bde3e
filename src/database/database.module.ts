import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type Migration } from 'typeorm';
import { AppConfig, directDatabaseUrl } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrationsLocked } from './run-migrations.js';
import { ChangeFeed, PostgresChangeFeed } from './change-feed.service.js';
import { AdvisoryLocks } from './advisory-locks.js';
import { RetentionJob } from './retention-job.js';
import { DataSourceTransactions, Transactions } from './transactions.js';
import { DatabaseHealth } from './database-health.js';

/** Pending migrations on a short-lived connection as the schema owner (DATABASE_MIGRATION_URL). */
async function migrateAsOwner(url: string): Promise<Migration[]> {
  // Two connections: runMigrationsLocked holds one for its advisory lock while the migrations use the other.
  const owner = await new DataSource(dataSourceOptions({ url, poolSize: 2, applicationName: 'model-ab-migrations' })).initialize();
  try {
    return await runMigrationsLocked(owner);
  } finally {
    await owner.destroy();
  }
}

function logApplied(applied: Migration[]): void {
  if (applied.length > 0) new Logger('Database').log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
}

/**
 * The DataSource (migrated at start, as the schema owner when DATABASE_MIGRATION_URL is set), the
 * transaction helper (Transactions), the readiness probe (DatabaseHealth), the cross-instance change feed, advisory locks on the direct connection and the retention job (tasks
 * registered by the modules that own the tables), for every module.
 */
@Global()
@Module({
  providers: [{ provide: ChangeFeed, useClass: PostgresChangeFeed }, AdvisoryLocks, RetentionJob, { provide: Transactions, useClass: DataSourceTransactions }, DatabaseHealth],
  exports: [ChangeFeed, AdvisoryLocks, RetentionJob, Transactions, DatabaseHealth],
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        if (!config.databaseUrl) throw new Error('the database URL must be resolved before the app module is created');
        // As the schema owner first, when configured: the app's own role then needs no right to
        // change the schema, and the migration run on its connection below finds nothing to do.
        if (config.databaseMigrationUrl) logApplied(await migrateAsOwner(config.databaseMigrationUrl));
        // Nest's default is 9 retries 3 s apart; a database that is not there at start should say so quickly.
        return {
          ...dataSourceOptions({ url: config.databaseUrl, poolSize: config.dbPoolSize, poolMode: config.databasePoolMode }),
          // Each module registers its entities (TypeOrmModule.forFeature); database/ knows none of them.
          autoLoadEntities: true,
          retryAttempts: 2,
          retryDelay: 1000,
          // Read by the factory below (not a TypeORM option).
          directUrl: directDatabaseUrl(config),
        };
      },
      dataSourceFactory: async (options) => {
        const { directUrl, ...rest } = options as typeof options & { directUrl: string };
        const pooled = rest as DataSourceOptions & { url: string };
        // Migrations hold a session advisory lock: behind a transaction pooler its lock and unlock
        // could land on different server connections, so they run on a direct connection.
        let applied: Migration[];
        if (directUrl === pooled.url) {
          const dataSource = await new DataSource(pooled).initialize();
          try {
            applied = await runMigrationsLocked(dataSource);
          } catch (error) {
            await dataSource.destroy().catch(() => undefined);
            throw error;
          }
          logApplied(applied);
          return dataSource;
        }
        const direct = await new DataSource({ ...pooled, url: directUrl, poolSize: 2, applicationName: 'model-ab-migrate', extra: { ...pooled.extra, Client: undefined } } as DataSourceOptions).initialize();
        try {
          applied = await runMigrationsLocked(direct);
        } finally {
          await direct.destroy();
        }
        logApplied(applied);
        return new DataSource(pooled).initialize();
      },
    }),
  ],
})
export class DatabaseModule {}
