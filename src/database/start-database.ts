import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

export interface StartedDatabase {
  url: string;
  /** The embedded server, when we run one; null for an external DATABASE_URL. */
  embedded: EmbeddedPostgres | null;
}

/** DATABASE_URL when configured; otherwise the embedded PostgreSQL with its data in DATA_DIR/postgres. */
export async function startDatabase(config: AppConfig, log: (message: string) => void): Promise<StartedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const embedded = new EmbeddedPostgres({
    clusterDir: path.join(config.dataDir, 'postgres'),
    passwordFile: path.join(config.dataDir, 'postgres-password'),
    port: config.embeddedPgPort,
    log,
  });
  const url = await embedded.start();
  return { url, embedded };
}
