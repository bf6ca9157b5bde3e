import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrationsLocked } from './run-migrations.js';
import { ChangeFeed } from './change-feed.service.js';

/** The DataSource (migrated at start) and the cross-instance change feed, for every module. */
@Global()
@Module({
  providers: [ChangeFeed],
  exports: [ChangeFeed],
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        if (!config.databaseUrl) throw new Error('the database URL must be resolved before the app module is created');
        // Nest's default is 9 retries 3 s apart; a database that is not there at start should say so quickly.
        return { ...dataSourceOptions({ url: config.databaseUrl, poolSize: config.dbPoolSize }), retryAttempts: 2, retryDelay: 1000 };
      },
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        const applied = await runMigrationsLocked(dataSource);
        if (applied.length > 0) {
          new Logger('Database').log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
