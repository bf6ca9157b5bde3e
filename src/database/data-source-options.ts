import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations/index.js';
import { UnnamedStatementsClient } from './pooler-safe-client.js';

export interface DataSourceSettings {
  url: string;
  poolSize?: number;
  applicationName?: string;
  /**
   * `transaction`: `url` is a pooler in transaction pooling, so no named prepared statement is sent
   * (it would be missing on the next server connection). Default `session`.
   */
  poolMode?: 'session' | 'transaction';
  /**
   * Entity classes. The app leaves this empty (each module registers its own with
   * TypeOrmModule.forFeature); tools that need the whole schema pass src/entities.ts.
   */
  entities?: DataSourceOptions['entities'];
}

/** The one definition of how we talk to PostgreSQL; `synchronize` is off everywhere. */
export function dataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: settings.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    // Not 'error': expected failures (a unique violation that becomes a 409) would be logged as
    // errors. Query failures that are real faults reach the global filter, which logs them.
    logging: ['warn', 'migration'],
    applicationName: settings.applicationName ?? 'model-ab',
    poolSize: settings.poolSize ?? 20,
    extra: {
      // Fail fast when the database is down so requests answer 503 in seconds instead of hanging.
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
      query_timeout: 30_000,
      keepAlive: true,
      ...(settings.poolMode === 'transaction' ? { Client: UnnamedStatementsClient } : {}),
    },
  };
}
