import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type Migration } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrationsLocked } from './run-migrations.js';
import { ChangeFeed } from './change-feed.service.js';

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

/** The DataSource (migrated at start) and the cross-instance change feed, for every module. */
@Global()
@Module({
  providers: [ChangeFeed],
  exports: [ChangeFeed],
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        if (!config.databaseUrl) throw new Error('the database URL must be resolved before the app module is created');
        // As the schema owner first, when configured: the app's own role then needs no right to
        // change the schema, and the migration run on its connection below finds nothing to do.
        if (config.databaseMigrationUrl) logApplied(await migrateAsOwner(config.databaseMigrationUrl));
        // Nest's default is 9 retries 3 s apart; a database that is not there at start should say so quickly.
        return { ...dataSourceOptions({ url: config.databaseUrl, poolSize: config.dbPoolSize }), retryAttempts: 2, retryDelay: 1000 };
      },
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        try {
          logApplied(await runMigrationsLocked(dataSource));
        } catch (error) {
          await dataSource.destroy().catch(() => undefined);
          throw error;
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
