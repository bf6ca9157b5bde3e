/**
 * The measuring half of bench/memory.ts: the compiled app (dist/) in this process, without
 * listening, against the bench database where a test is running on `modelType`. Assigns (and
 * stores) `users` brand-new users through AssignmentService.getModelVersionForUser and reports the
 * RSS growth from before the first user to after the last, each after full garbage collections:
 * everything they cost (cache tables, JIT code, database connections, heap the churn left behind),
 * an upper bound of the cache's own share. Run pinned to one core. Prints one JSON line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryConfig {
  databaseUrl: string;
  jwtSecret: string;
  dataDir: string;
  modelType: string;
  users: number;
  /** ASSIGNMENT_CACHE_MB for the app. */
  cacheMb: number;
}

export interface MemoryResult {
  users: number;
  rss_before_mb: number;
  rss_after_mb: number;
  rss_growth_bytes_per_user: number;
  heap_growth_bytes_per_user: number;
  cached_entries: number;
  cache_bytes: number;
  /** INSERT statements issued while re-reading 10,000 of the users (0: they came from the cache). */
  statements_for_cached_reads: number;
  seconds: number;
}

interface App {
  get: (token: unknown) => unknown;
  close: () => Promise<void>;
}
interface Assigner {
  getModelVersionForUser(userId: string, modelType: string): Promise<{ variant: string | null } | null>;
}

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settle(): Promise<{ rss: number; heap: number }> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed };
}

async function assignAll(service: Assigner, prefix: string, count: number, modelType: string): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const batch: Array<Promise<unknown>> = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) batch.push(service.getModelVersionForUser(`${prefix}${j}`, modelType));
    const answers = (await Promise.all(batch)) as Array<{ variant: string | null } | null>;
    if (answers.some((answer) => answer?.variant !== 'a' && answer?.variant !== 'b')) throw new Error('a user got no variant');
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as MemoryConfig;
  await import('reflect-metadata');
  const from = (file: string) => import(pathToFileURL(path.resolve('dist/src', file)).href);
  const { createApp } = (await from('app.js')) as { createApp: (config: unknown, options: { logger: false }) => Promise<App> };
  const { AppConfig, loadConfig } = (await from('config/app-config.js')) as {
    AppConfig: new (values: unknown) => unknown;
    loadConfig: (env: Record<string, string>) => Record<string, unknown>;
  };
  const { AssignmentService } = (await from('modules/ab-tests/assignment/assignment.service.js')) as { AssignmentService: unknown };
  const { AssignmentWriter } = (await from('modules/ab-tests/assignment/assignment-writer.js')) as { AssignmentWriter: unknown };
  const { ActiveTestsCache } = (await from('modules/ab-tests/assignment/active-tests.cache.js')) as { ActiveTestsCache: unknown };
  const appConfig = new AppConfig({
    ...loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      DATA_DIR: config.dataDir,
      SEED_EXAMPLE_MODELS: 'false',
      JWT_SECRET: config.jwtSecret,
      ASSIGNMENT_CACHE_MB: String(config.cacheMb),
    }),
    databaseUrl: config.databaseUrl,
    jwtSecret: config.jwtSecret,
  });
  const app = await createApp(appConfig, { logger: false });
  try {
    const service = app.get(AssignmentService) as Assigner;
    const writer = app.get(AssignmentWriter) as { stats: { statements: number } };
    const cache = app.get(ActiveTestsCache) as { assignmentCacheStats: { entries: number; bytes: number } };
    // The baseline holds no cached user: even a few thousand would touch most pages of the table
    // (users land on random slots), hiding its cost. One routing read opens the database pool.
    await service.getModelVersionForUser('nobody', 'no_such_type');
    const before = await settle();
    const started = Date.now();
    await assignAll(service, 'user-', config.users, config.modelType);
    const seconds = (Date.now() - started) / 1000;
    const after = await settle();
    const statements = writer.stats.statements;
    for (let i = 0; i < config.users; i += Math.ceil(config.users / 10_000)) await service.getModelVersionForUser(`user-${i}`, config.modelType);
    const stats = cache.assignmentCacheStats;
    const result: MemoryResult = {
      users: config.users,
      rss_before_mb: before.rss / 2 ** 20,
      rss_after_mb: after.rss / 2 ** 20,
      rss_growth_bytes_per_user: (after.rss - before.rss) / config.users,
      heap_growth_bytes_per_user: (after.heap - before.heap) / config.users,
      cached_entries: stats.entries,
      cache_bytes: stats.bytes,
      statements_for_cached_reads: writer.stats.statements - statements,
      seconds,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
