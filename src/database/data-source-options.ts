import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities.js';
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
}

/** The one definition of how we talk to PostgreSQL; `synchronize` is off everywhere. */
export function dataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: ENTITIES,
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
