/**
 * The in-process half of bench/assign.ts: builds the compiled app (dist/, which carries the
 * decorator metadata Nest's DI needs — tsx does not emit it) against the bench database, without
 * listening, and calls AssignmentService.getModelVersionForUser directly. Run pinned to one core:
 * `taskset -c 0 node --import tsx bench/assign-inprocess.ts <config.json>`. Prints one JSON line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface InProcessConfig {
  databaseUrl: string;
  jwtSecret: string;
  dataDir: string;
  modelType: string;
  /** Distinct already-assigned users cycled through in the timed loop. */
  users: number;
  /** Timed calls for assigned users. */
  calls: number;
  /** Brand-new users assigned (and stored) in the second timed run. */
  newUsers: number;
}

export interface InProcessResult {
  assigned_calls_per_s: number;
  assigned_ns_per_call: number;
  new_users_per_s: number;
  hash_calls_per_s: number;
}

type Dist = {
  app: { createApp: (config: unknown, options: { logger: false }) => Promise<{ get: (token: unknown) => unknown; close: () => Promise<void> }> };
  config: { AppConfig: new (values: unknown) => unknown; loadConfig: (env: Record<string, string>) => Record<string, unknown> };
  assignment: { AssignmentService: abstract new (...args: never[]) => unknown };
  bucketing: { hashV2: (seed: string, id: string) => number };
};

async function loadDist(): Promise<Dist> {
  const from = (file: string) => import(pathToFileURL(path.resolve('dist/src', file)).href);
  return {
    app: (await from('app.js')) as Dist['app'],
    config: (await from('config/app-config.js')) as Dist['config'],
    assignment: (await from('modules/ab-tests/assignment.service.js')) as Dist['assignment'],
    bucketing: (await from('modules/ab-tests/bucketing.js')) as Dist['bucketing'],
  };
}

interface Assigner {
  getModelVersionForUser(userId: string, modelType: string): Promise<unknown>;
}

async function main(): Promise<void> {
  const config = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as InProcessConfig;
  await import('reflect-metadata');
  const dist = await loadDist();
  const appConfig = new dist.config.AppConfig({
    ...dist.config.loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'error', DATA_DIR: config.dataDir, SEED_EXAMPLE_MODELS: 'false', JWT_SECRET: config.jwtSecret }),
    databaseUrl: config.databaseUrl,
    jwtSecret: config.jwtSecret,
  });
  const app = await dist.app.createApp(appConfig, { logger: false });
  try {
    const service = app.get(dist.assignment.AssignmentService) as Assigner;
    const users = Array.from({ length: config.users }, (_, i) => `inproc-${i}`);
    // Assign (and store) every user once, in parallel batches, then warm the JIT.
    for (let i = 0; i < users.length; i += 1000) await Promise.all(users.slice(i, i + 1000).map((u) => service.getModelVersionForUser(u, config.modelType)));
    for (let i = 0; i < 200_000; i++) await service.getModelVersionForUser(users[i % users.length]!, config.modelType);

    let started = process.hrtime.bigint();
    for (let i = 0; i < config.calls; i++) await service.getModelVersionForUser(users[i % users.length]!, config.modelType);
    const assignedNs = Number(process.hrtime.bigint() - started);

    started = process.hrtime.bigint();
    const fresh = Array.from({ length: config.newUsers }, (_, i) => `inproc-new-${Date.now()}-${i}`);
    for (let i = 0; i < fresh.length; i += 1000) await Promise.all(fresh.slice(i, i + 1000).map((u) => service.getModelVersionForUser(u, config.modelType)));
    const newNs = Number(process.hrtime.bigint() - started);

    let sink = 0;
    started = process.hrtime.bigint();
    for (let i = 0; i < config.calls; i++) sink += dist.bucketing.hashV2('seed', users[i % users.length]!);
    const hashNs = Number(process.hrtime.bigint() - started);
    if (sink < 0) console.error(sink);

    const result: InProcessResult = {
      assigned_calls_per_s: config.calls / (assignedNs / 1e9),
      assigned_ns_per_call: assignedNs / config.calls,
      new_users_per_s: config.newUsers / (newNs / 1e9),
      hash_calls_per_s: config.calls / (hashNs / 1e9),
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
