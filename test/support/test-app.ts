import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger } from '../../src/common/logging/json-logger.js';
import supertest from 'supertest';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createApp, type CreateAppOptions } from '../../src/app.js';
import { AppConfig, loadConfig } from '../../src/config/app-config.js';
import { createTestDatabase } from './database.js';
import { TestTokens } from './tokens.js';

const PROCESS_JWT_SECRET = randomBytes(32).toString('hex');

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** supertest against the app's HTTP server. */
  http: () => supertest.Agent;
  tokens: TestTokens;
  dataSource: DataSource;
  databaseUrl: string;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  database?: { url: string };
  jwtSecret?: string;
  rootModule?: (config: AppConfig) => DynamicModule;
  /** Sees every route the router registers (see CreateAppOptions.onRoute). */
  onRoute?: CreateAppOptions['onRoute'];
}

/**
 * The real application (same factory as `npm start`) on its own fresh database in the shared test
 * cluster. `env` overrides configuration variables as the environment would.
 */
export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const adminUrl = inject('adminDatabaseUrl');
  const database = options.database ? { ...options.database, drop: async () => undefined } : await createTestDatabase(adminUrl);
  // Instances of one deployment share the secret. Passport's 'jwt' strategy is also process-global
  // (the last app created verifies every app's tokens), so apps in one test file share one secret.
  const secret = options.jwtSecret ?? PROCESS_JWT_SECRET;
  const dataDir = path.join(inject('testTmpDir'), `app-${randomBytes(4).toString('hex')}`);
  // The retention job runs only when a test asks (RetentionJob.runNow): a timed run would change
  // tables while a suite checks that nothing changed.
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'error', DATA_DIR: dataDir, SEED_EXAMPLE_MODELS: 'false', RETENTION_INTERVAL_MS: '86400000', ...env });
  const resolved = new AppConfig({ ...config, databaseUrl: database.url, jwtSecret: secret });
  const app = await createApp(resolved, { logger: new JsonLogger(resolved.logLevel), rootModule: options.rootModule?.(resolved), onRoute: options.onRoute });
  await app.getHttpAdapter().getInstance().ready();
  const dataSource = app.get(DataSource);
  return {
    app,
    config: resolved,
    http: () => supertest.agent(app.getHttpServer()),
    tokens: new TestTokens(secret),
    dataSource,
    databaseUrl: database.url,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
